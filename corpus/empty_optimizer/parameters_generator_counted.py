import torch
import torch.nn as nn

torch.manual_seed(0)


class Regressor(nn.Module):
    def __init__(self, features=6, hidden=16):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.body(x).squeeze(-1)


def main():
    model = Regressor()
    params = model.parameters()
    print(f"training {sum(p.numel() for p in params)} weights")
    optimizer = torch.optim.Adam(params, lr=1e-2)

    x = torch.randn(64, 6)
    y = x[:, 0] * 2.0 - x[:, 3]
    for epoch in range(20):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: {loss.item():.4f}")


if __name__ == "__main__":
    main()
