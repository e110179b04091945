# Reptile meta-learning of calibration curves for a fleet of gas sensors.
#
# Every sensor maps (raw reading, temperature) to concentration through its own saturating curve.
# Reptile learns an initialisation from which a few gradient steps on ten calibration points
# fit a new sensor. Inner-loop gradients are taken with torch.func.vjp over a functional call.
import torch
import torch.nn as nn
from torch.func import functional_call, vjp

torch.manual_seed(12)

INNER_STEPS = 5
INNER_LR = 0.02
META_LR = 1.0
META_ITERATIONS = 40
TASKS_PER_ITERATION = 4
CALIBRATION_POINTS = 10


def sample_sensor():
    gain = torch.empty(1).uniform_(0.5, 2.0)
    slope = torch.empty(1).uniform_(0.5, 1.5)
    offset = torch.empty(1).uniform_(-0.5, 0.5)
    drift = torch.empty(1).uniform_(-0.3, 0.3)

    def readings(n):
        raw = torch.empty(n, 1).uniform_(-3.0, 3.0)
        temp = torch.randn(n, 1)
        conc = gain * torch.tanh(slope * raw + offset) + drift * temp
        return torch.cat([raw, temp], dim=1), conc

    return readings


class CalibrationNet(nn.Module):
    def __init__(self, hidden=40):
        super().__init__()
        self.fc1 = nn.Linear(2, hidden)
        self.bn1 = nn.BatchNorm1d(hidden, track_running_stats=False)
        self.fc2 = nn.Linear(hidden, hidden)
        self.bn2 = nn.BatchNorm1d(hidden, track_running_stats=False)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        x = torch.relu(self.bn1(self.fc1(x)))
        x = torch.relu(self.bn2(self.fc2(x)))
        return self.out(x)


def mse(
    net,
    params,
    x,
    y,
):
    prediction = functional_call(net, params, (x,))
    return ((prediction - y) ** 2).mean()


def inner_adapt(
    net,
    params,
    x,
    y,
    steps=INNER_STEPS,
    lr=INNER_LR,
):
    for _ in range(steps):
        loss, pullback = vjp(lambda p: mse(net, p, x, y), params)
        (grads,) = pullback(torch.ones_like(loss))
        params = {name: w - lr * grads[name] for name, w in params.items()}
    return params


def reptile_step(
    net,
    optimizer,
):
    start = {name: p.detach() for name, p in net.named_parameters()}
    delta = {name: torch.zeros_like(p) for name, p in start.items()}
    for _ in range(TASKS_PER_ITERATION):
        x, y = sample_sensor()(CALIBRATION_POINTS)
        adapted = inner_adapt(net, start, x, y)
        for name in delta:
            delta[name] += (start[name] - adapted[name]) / TASKS_PER_ITERATION
    optimizer.zero_grad()
    for name, p in net.named_parameters():
        p.grad = delta[name]
    optimizer.step()


def evaluate(net, n_sensors=5):
    errors = []
    for _ in range(n_sensors):
        readings = sample_sensor()
        x, y = readings(CALIBRATION_POINTS)
        x_test, y_test = readings(50)
        params = {name: p.detach() for name, p in net.named_parameters()}
        adapted = inner_adapt(net, params, x, y, steps=10)
        with torch.no_grad():
            errors.append(mse(net, adapted, x_test, y_test))
    return torch.stack(errors).mean().item()


def main():
    net = CalibrationNet()
    optimizer = torch.optim.SGD(
        net.parameters(),
        lr=META_LR,
    )
    net.train()
    for iteration in range(1, META_ITERATIONS + 1):
        reptile_step(net, optimizer)
        if iteration % 20 == 0:
            print(f"iteration {iteration}: post-adaptation test MSE {evaluate(net):.4f}")


main()
