import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Trainer:
    """Per-sample losses weighted by a difficulty score kept for each training example."""

    def __init__(self, model, difficulty, lr=0.05):
        self.model = model
        self.difficulty = difficulty
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def loss(self, logits, labels, index):
        losses = []
        for row in range(len(labels)):
            weight = 1.0 + self.difficulty[index[row]]
            losses.append(weight * self.criterion(logits[row:row + 1], labels[row:row + 1]))
        return torch.stack(losses).mean()

    def fit(self, loader, epochs=3):
        for epoch in range(epochs):
            for inputs, labels, index in loader:
                loss = self.loss(self.model(inputs), labels, index)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
            print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(1)
    inputs = torch.randn(320, 10)
    labels = (inputs[:, :4].sum(1) > 0).long()
    data = TensorDataset(inputs, labels, torch.arange(320))
    model = nn.Sequential(nn.Linear(10, 24), nn.ReLU(), nn.Linear(24, 2))
    Trainer(model, difficulty=torch.rand(320).tolist()).fit(DataLoader(data, batch_size=32, shuffle=True))
