# A learning rate read from a config whose default is 0: Adam is built with lr=0 and every step
# leaves the weights as they were; the loss never moves.
import torch
from torch import nn

CONFIG = {"epochs": 12, "batch_size": 32, "lr": 0.0}


class Regressor(nn.Module):
    def __init__(self, features: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 32), nn.Tanh(), nn.Linear(32, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).squeeze(-1)


def main() -> None:
    torch.manual_seed(3)
    x = torch.randn(256, 6)
    y = x @ torch.randn(6) + 0.1 * torch.randn(256)
    model = Regressor(6)
    optimizer = torch.optim.Adam(model.parameters(), lr=CONFIG["lr"])
    for epoch in range(CONFIG["epochs"]):
        for start in range(0, len(x), CONFIG["batch_size"]):
            xb, yb = x[start:start + CONFIG["batch_size"]], y[start:start + CONFIG["batch_size"]]
            loss = nn.functional.mse_loss(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    main()
