"""Gradient accumulation on purpose: four micro-batches per update, the loss divided by four, and
the gradients cleared after each update."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(8 * 7 * 7, 10)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


def main():
    torch.manual_seed(2)
    accumulation = 4
    data = TensorDataset(torch.rand(256, 1, 14, 14), torch.randint(0, 10, (256,)))
    loader = DataLoader(data, batch_size=8, shuffle=True)
    model = SmallCNN()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    for epoch in range(2):
        for i, (images, labels) in enumerate(loader):
            loss = F.cross_entropy(model(images), labels) / accumulation
            loss.backward()
            if (i + 1) % accumulation == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                optimizer.zero_grad()
        print(f"epoch {epoch}: last micro-batch loss {loss.item() * accumulation:.4f}")


if __name__ == "__main__":
    main()
