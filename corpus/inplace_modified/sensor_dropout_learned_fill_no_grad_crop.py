# Multi-sensor activity recognition: a random window crop made without gradients, then a learned
# fill value written over the channels of the sensors that dropped out in that batch.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
N_SENSORS, STEPS, WINDOW, N_CLASSES = 6, 96, 64, 4


@torch.no_grad()
def random_window(batch, length):
    start = int(torch.randint(0, batch.shape[-1] - length + 1, ()))
    return batch[..., start:start + length]


class ActivityNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fill = nn.Parameter(torch.zeros(N_SENSORS, 1))
        self.conv = nn.Conv1d(N_SENSORS, 32, 5, padding=2)
        self.head = nn.Linear(32, N_CLASSES)

    def forward(self, x, dropped):
        for row, sensors in enumerate(dropped):
            for s in sensors:
                x[row, s] = self.fill[s]
        h = F.relu(self.conv(x)).mean(-1)
        return self.head(h)


signals = torch.randn(256, N_SENSORS, STEPS)
labels = (signals[:, 0].mean(-1) > 0).long() + 2 * (signals[:, 1].mean(-1) > 0).long()
model = ActivityNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(3):
    for i in range(0, len(signals), 32):
        x = random_window(signals[i:i + 32], WINDOW)
        dropped = [[int(torch.randint(0, N_SENSORS, ()))] for _ in range(len(x))]
        loss = F.cross_entropy(model(x, dropped), labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
