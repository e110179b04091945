# A calibration pass replaces each gain with a new nn.Parameter after a first optimizer existed;
# the script then builds the optimizer again, so the new gains are the ones it trains.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Gained(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.gain = nn.Parameter(torch.ones(n_out))

    def forward(self, x):
        return self.linear(x) * self.gain


def calibrate(model, x):
    with torch.no_grad():
        out = model.linear(x)
    model.gain = nn.Parameter(1.0 / (out.std(0) + 1e-3))


model = Gained(6, 4)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(100, 6), torch.randn(100, 4)
calibrate(model, x)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for step in range(25):
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
print(loss.item())
