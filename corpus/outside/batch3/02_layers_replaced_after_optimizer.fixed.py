# Report: https://github.com/microsoft/nni/issues/4521
# Summary: hidden layers are pruned into new nn.Linear modules after the optimizer was built, so the optimizer keeps the old tensors and the new layers never train (silent).
# Fixed: rebuild the optimizer after the layers are replaced.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class TabularNet(nn.Module):
    def __init__(self, in_dim=32, hidden=128, n_classes=5):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(in_dim, 64), nn.ReLU())
        self.fc1 = nn.Linear(64, hidden)
        self.fc2 = nn.Linear(hidden, n_classes)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(self.features(x))))


class Trainer:
    def __init__(self, lr=1e-3):
        self.model = TabularNet()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    @torch.no_grad()
    def prune_hidden(self, keep):
        """Keep the `keep` hidden units of fc1 with the largest L1 norm."""
        fc1, fc2 = self.model.fc1, self.model.fc2
        idx = fc1.weight.abs().sum(dim=1).topk(keep).indices
        new_fc1 = nn.Linear(fc1.in_features, keep)
        new_fc2 = nn.Linear(keep, fc2.out_features)
        new_fc1.weight.copy_(fc1.weight[idx])
        new_fc1.bias.copy_(fc1.bias[idx])
        new_fc2.weight.copy_(fc2.weight[:, idx])
        new_fc2.bias.copy_(fc2.bias)
        self.model.fc1, self.model.fc2 = new_fc1, new_fc2
        # the old optimizer still points at the replaced tensors: rebuild it
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.optimizer.defaults["lr"])

    def fit(self, loader, epochs):
        self.model.train()
        for epoch in range(epochs):
            running = 0.0
            for xb, yb in loader:
                self.optimizer.zero_grad()
                loss = self.criterion(self.model(xb), yb)
                loss.backward()
                self.optimizer.step()
                running += loss.item()
            print(f"  epoch {epoch}: loss {running / len(loader):.4f}")


if __name__ == "__main__":
    torch.manual_seed(1)
    x = torch.randn(640, 32)
    y = torch.randint(0, 5, (640,))
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
    trainer = Trainer()
    trainer.prune_hidden(keep=48)
    print("fine-tuning pruned model")
    trainer.fit(loader, epochs=4)
