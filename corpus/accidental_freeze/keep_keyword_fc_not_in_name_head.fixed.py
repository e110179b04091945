"""Regression on frozen conv features: everything but the fully connected layer stays fixed."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(2, 8, 3, padding=1), nn.ReLU(), nn.Conv1d(8, 8, 3, padding=1))
        self.pool = nn.AdaptiveAvgPool1d(1)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        h = self.pool(self.conv(x)).flatten(1)
        return self.head(h)


def train(model, steps=15):
    for n, w in model.named_parameters():
        if "head" not in n:
            w.requires_grad = False
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = torch.randn(32, 2, 20), torch.randn(32, 1)
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
    return loss.item()


if __name__ == "__main__":
    print(train(Regressor()))
