# Predict whether a customer churns from monthly usage counts (calls, texts, sessions, tickets).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class ChurnMLP(nn.Module):
    def __init__(self, n_features, hidden=32):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
        )
        self.out = nn.Linear(hidden, 2)

    def forward(self, x):
        return self.out(self.body(x))


def make_usage_data(n=512, n_features=4):
    g = torch.Generator().manual_seed(7)
    counts = torch.randint(0, 50, (n, n_features), generator=g)
    churned = (counts[:, 3] > 30).long()  # many support tickets -> likely to leave
    return TensorDataset(counts, churned)


def train_epoch(model, loader, optimizer):
    model.train()
    total = 0.0
    for counts, churned in loader:
        logits = model(counts)
        loss = F.cross_entropy(logits, churned)
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
        total += loss.item() * counts.size(0)
    return total / len(loader.dataset)


def main():
    torch.manual_seed(0)
    loader = DataLoader(make_usage_data(), batch_size=64, shuffle=True)
    model = ChurnMLP(n_features=4)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    for epoch in range(10):
        print(f"epoch {epoch}: loss {train_epoch(model, loader, optimizer):.4f}")


if __name__ == "__main__":
    main()
