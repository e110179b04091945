# Predicts whether a machine part fails from six sensor readings with a small MLP. Each reading is
# first rescaled by a learned per-feature affine normaliser that the Dataset applies to every row,
# and it is trained together with the classifier. Training and validation batches come from
# DataLoaders whose worker count is a setting.
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

CONFIG = {"rows": 512, "batch_size": 64, "workers": 2, "epochs": 3, "lr": 3e-3}


class LearnedNormaliser(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(features))
        self.log_scale = nn.Parameter(torch.zeros(features))

    def forward(self, row):
        return (row - self.shift) * self.log_scale.exp()


class SensorRows(Dataset):
    def __init__(self, n, seed, transform):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 6, generator=g) * torch.tensor([1.0, 5.0, 0.2, 3.0, 1.0, 10.0]) + 4.0
        self.y = ((self.x[:, 0] - 4) + 0.2 * (self.x[:, 1] - 4) > 0).long()
        self.transform = transform

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.transform(self.x[i]), self.y[i]


def main():
    torch.manual_seed(0)
    normaliser = LearnedNormaliser(6)
    train_loader = DataLoader(
        SensorRows(CONFIG["rows"], 1, normaliser),
        batch_size=CONFIG["batch_size"],
        shuffle=True,
        num_workers=0,
    )
    val_loader = DataLoader(
        SensorRows(128, 2, normaliser),
        batch_size=128,
        num_workers=0,
    )
    model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 2))
    optimizer = torch.optim.Adam([*model.parameters(), *normaliser.parameters()], lr=CONFIG["lr"])
    for epoch in range(CONFIG["epochs"]):
        for x, y in train_loader:
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in val_loader)
        print(f"epoch {epoch}: loss {loss.item():.3f} val acc {correct / 128:.2f}")


if __name__ == "__main__":
    main()
