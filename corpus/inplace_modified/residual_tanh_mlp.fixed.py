# Regression MLP with a tanh stem and residual refinement layers.
import torch
from torch import nn

torch.manual_seed(0)


class ResidualMLP(nn.Module):
    def __init__(self, d_in=8, width=32, depth=3):
        super().__init__()
        self.stem = nn.Linear(d_in, width)
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.head = nn.Linear(width, 1)

    def forward(self, x):
        h = torch.tanh(self.stem(x))
        for layer in self.layers:
            h = h + 0.5 * layer(h)  # refine the features step by step
        return self.head(h).squeeze(-1)


def main():
    model = ResidualMLP()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    x = torch.randn(64, 8)
    y = x.sin().sum(dim=1)
    for epoch in range(20):
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 5 == 0:
            print(f"epoch {epoch} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
