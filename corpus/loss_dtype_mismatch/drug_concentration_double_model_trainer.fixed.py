# Fits a network to drug concentration curves in blood after an oral dose. Each synthetic patient
# has an absorption and an elimination rate; the network reads the dose, body weight and time since
# the dose and predicts the concentration. The model runs in double precision because the late,
# small concentrations matter; a small trainer class holds the model, the loss and the optimizer.
import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(5)
patients = 80
times = np.linspace(0.25, 24, 30)
ka = rng.lognormal(np.log(1.2), 0.2, patients)
ke = rng.lognormal(np.log(0.15), 0.25, patients)
dose = rng.choice([100.0, 200.0, 400.0], patients)
weight = rng.normal(75, 12, patients)

rows, levels = [], []
for p in range(patients):
    conc = dose[p] / weight[p] * ka[p] / (ka[p] - ke[p]) * (np.exp(-ke[p] * times) - np.exp(-ka[p] * times))
    for t, c in zip(times, conc):
        rows.append([dose[p] / 400, weight[p] / 75, t / 24])
        levels.append(float(c * (1 + rng.normal(0, 0.05))))
inputs = torch.from_numpy(np.array(rows))
concentration = torch.tensor(levels)


class CurveFitter:
    def __init__(self, lr=2e-3):
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(3, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)).double()
        self.criterion = nn.HuberLoss(delta=0.1)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)

    def training_step(self, x, target):
        pred = self.net(x).squeeze(-1)
        loss = self.criterion(pred, target.double())
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, x, y, epochs, batch_size=200):
        for epoch in range(epochs):
            order = torch.randperm(len(x))
            total = 0.0
            for i in range(0, len(x), batch_size):
                idx = order[i:i + batch_size]
                total += self.training_step(x[idx], y[idx])
            print(f"epoch {epoch}: huber {total / (len(x) // batch_size):.6f}")


CurveFitter().fit(inputs, concentration, epochs=6)
