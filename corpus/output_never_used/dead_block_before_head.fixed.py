"""A tabular MLP whose residual-free hidden block is computed and then skipped: the head reads the
stem's output, so the block never trains."""
import torch
import torch.nn as nn


class TabularNet(nn.Module):
    def __init__(self, n_features=20, width=64, n_classes=3):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(n_features, width), nn.ReLU())
        self.block = nn.Sequential(nn.Linear(width, width), nn.LayerNorm(width), nn.GELU())
        self.head = nn.Linear(width, n_classes)

    def forward(self, x):
        x = self.stem(x)
        h = self.block(x)
        return self.head(h)


def train(model, data, targets, epochs=5, batch_size=32):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        for start in range(0, len(data), batch_size):
            xb, yb = data[start:start + batch_size], targets[start:start + batch_size]
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    data = torch.randn(256, 20)
    targets = (data[:, 0] > 0).long() + (data[:, 1] > 0.5).long()
    train(TabularNet(), data, targets)
