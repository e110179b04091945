# Learns the small correction a network must add to a Keplerian orbit model to match observed
# satellite positions perturbed by the Earth's oblateness. The corrections are tiny next to the
# positions, so the whole model and the data stay in double precision on purpose: the NumPy
# float64 tables go in as they are and the network is converted with .double().
import numpy as np
import torch
from torch import nn

rng = np.random.default_rng(17)
n = 1500
anomaly = rng.uniform(0, 2 * np.pi, n)
inclination = rng.uniform(0.1, 1.4, n)
node = rng.uniform(0, 2 * np.pi, n)
ecc = rng.uniform(0.0, 0.05, n)
j2_shift = 1.08263e-3 * (1.5 * np.sin(inclination) ** 2 - 1) * np.cos(2 * anomaly) * (1 + ecc * np.cos(anomaly))
j2_shift += 1e-6 * rng.normal(size=n)

states = torch.from_numpy(np.stack([np.sin(anomaly), np.cos(anomaly), np.cos(inclination), np.sin(node), ecc * 20], 1))
correction = torch.from_numpy(j2_shift / 1e-3)

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)).double()
criterion = nn.HuberLoss(delta=0.5)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)


def train_epoch():
    order = torch.randperm(n)
    for i in range(0, n, 150):
        idx = order[i:i + 150]
        pred = model(states[idx]).squeeze(-1)
        loss = criterion(pred, correction[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    return loss.item()


for epoch in range(25):
    last = train_epoch()
    if epoch % 5 == 4:
        print(f"epoch {epoch + 1}: huber {last:.3e} ({model[0].weight.dtype})")
