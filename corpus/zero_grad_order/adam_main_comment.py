import torch
from torch import nn
from torch.optim import Adam


class TinyRegressor(nn.Module):
    def __init__(self, in_features=6, hidden=16):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


def main():
    torch.manual_seed(0)
    x = torch.randn(64, 6)
    y = x @ torch.randn(6, 1) + 0.1 * torch.randn(64, 1)

    model = TinyRegressor()
    optimizer = Adam(model.parameters(), lr=1e-2)
    loss_fn = nn.MSELoss()

    for it in range(30):
        pred = model(x)
        loss = loss_fn(pred, y)
        loss.backward()
        # reset the gradients so they do not pile up across iterations
        optimizer.zero_grad()
        optimizer.step()
        if it % 10 == 0:
            print(f"iter {it:2d} mse {loss.item():.4f}")


if __name__ == "__main__":
    main()
