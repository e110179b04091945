# Learns a wind turbine's power curve from SCADA-style records. A Dataset builds synthetic
# ten-minute records (wind speed, direction, air density) and the measured output as a fraction
# of rated power, with a few sensor glitches; the network from model.py is fitted with AdamW.
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from model import PowerCurveNet


class ScadaRecords(Dataset):
    def __init__(self, n, seed=0):
        rng = np.random.default_rng(seed)
        speed = rng.weibull(2.0, n) * 9.0
        direction = rng.uniform(0, 2 * np.pi, n)
        density = rng.normal(1.225, 0.03, n)
        ramp = np.clip((speed - 3.0) / (12.0 - 3.0), 0, 1) ** 3
        power = np.where(speed > 25.0, 0.0, ramp) * density / 1.225
        power += rng.normal(0, 0.02, n)
        glitch = rng.random(n) < 0.02
        power[glitch] = rng.uniform(0, 1, glitch.sum())
        self.inputs = np.stack([speed / 10, np.sin(direction), np.cos(direction), density - 1.225], 1)
        self.power = np.clip(power, 0, 1.05)

    def __len__(self):
        return len(self.power)

    def __getitem__(self, i):
        return torch.from_numpy(self.inputs[i]).float(), self.power[i]


def main():
    torch.manual_seed(0)
    loader = DataLoader(ScadaRecords(2000), batch_size=100, shuffle=True)
    model = PowerCurveNet()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    for epoch in range(5):
        running = 0.0
        for conditions, power in loader:
            loss = model.loss(conditions, power)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item()
        print(f"epoch {epoch}: huber {running / len(loader):.5f}")


if __name__ == "__main__":
    main()
