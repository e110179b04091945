# Flags defective welds from ultrasonic inspection traces. Each synthetic trace is a 64-sample
# echo; defective welds carry an extra reflection half-way along. A Dataset serves the traces and
# the inspector's pass/fail label from NumPy records, and a small 1-D CNN ending in a sigmoid is
# trained by a Trainer class with binary cross-entropy.
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class WeldTraces(Dataset):
    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        t = np.linspace(0, 1, 64)
        self.labels = rng.integers(0, 2, n).astype(np.float64)
        echo = np.exp(-((t - 0.15) / 0.03) ** 2)
        flaw = np.exp(-((t[None] - rng.uniform(0.4, 0.6, (n, 1))) / 0.02) ** 2)
        self.traces = echo + 0.6 * self.labels[:, None] * flaw + rng.normal(0, 0.1, (n, 64))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        trace = torch.tensor(self.traces[i], dtype=torch.float32).unsqueeze(0)
        return trace, self.labels[i]


class Trainer:
    def __init__(self, model, lr):
        self.model = model
        self.criterion = nn.BCELoss()
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def step(self, traces, labels):
        prob = self.model(traces).squeeze(1)
        loss = self.criterion(prob, labels.float())
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool1d(4),
    nn.Conv1d(8, 16, 5, padding=2), nn.ReLU(), nn.AdaptiveMaxPool1d(1),
    nn.Flatten(), nn.Linear(16, 1), nn.Sigmoid(),
)
trainer = Trainer(model, lr=1e-2)
loader = DataLoader(WeldTraces(400, seed=3), batch_size=32, shuffle=True)

for epoch in range(4):
    total = 0.0
    for traces, labels in loader:
        total += trainer.step(traces, labels)
    print(f"epoch {epoch}: mean bce {total / len(loader):.4f}")
