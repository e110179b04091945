# Estimates the daily water use of greenhouse plots from climate and crop records. A Dataset
# serves each record's features and the metered water use from NumPy tables, converting both to
# float32 tensors; a small MLP is fitted with a Huber loss because a few meters misread.
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class IrrigationRecords(Dataset):
    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        temperature = rng.normal(24, 4, n)
        humidity = rng.uniform(0.3, 0.9, n)
        radiation = rng.uniform(5, 25, n)
        leaf_area = rng.uniform(0.5, 4.0, n)
        use = 0.04 * radiation * leaf_area * (1.2 - humidity) + 0.02 * np.maximum(temperature - 20, 0)
        use += rng.normal(0, 0.05, n)
        misread = rng.random(n) < 0.03
        use[misread] *= 4
        table = np.stack([temperature, humidity, radiation, leaf_area], 1)
        self.features = (table - table.mean(0)) / table.std(0)
        self.water = use

    def __len__(self):
        return len(self.water)

    def __getitem__(self, i):
        x = torch.from_numpy(self.features[i]).float()
        y = torch.tensor(self.water[i]).float()
        return x, y


torch.manual_seed(0)
loader = DataLoader(IrrigationRecords(800, seed=8), batch_size=64, shuffle=True)
model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1))
criterion = nn.HuberLoss(delta=0.2)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(6):
    total = 0.0
    for x, y in loader:
        loss = criterion(model(x).squeeze(-1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: huber {total / len(loader):.5f}")
