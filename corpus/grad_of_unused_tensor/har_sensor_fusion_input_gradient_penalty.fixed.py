# Human-activity recognition from three wearable sensors (accelerometer, gyroscope, magnetometer),
# each a 3-axis window of 32 samples. Each sensor the config lists gets a small 1-D conv encoder,
# and a linear layer classifies the fused features into six activities; this run is the ablation
# without the magnetometer. To make predictions robust to sensor noise, the loss adds the squared
# norm of its gradient with respect to the input windows (double backpropagation).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.autograd import grad as torch_grad

SENSORS = ("acc", "gyro", "mag")
CONFIG = {"sensors": ("acc", "gyro"), "penalty": 0.1}


class SensorEncoder(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        self.conv = nn.Conv1d(3, channels, kernel_size=5, padding=2)
        self.pool = nn.AdaptiveAvgPool1d(4)

    def forward(self, x):
        return self.pool(torch.relu(self.conv(x))).flatten(1)


class FusionHAR(nn.Module):
    def __init__(self, sensors, classes=6):
        super().__init__()
        self.sensors = sensors
        self.encoders = nn.ModuleDict({name: SensorEncoder() for name in sensors})
        self.classifier = nn.Linear(64 * len(sensors), classes)

    def forward(self, windows):
        return self.classifier(torch.cat([self.encoders[name](windows[name]) for name in self.sensors], dim=1))


def make_batch(n=64):
    labels = torch.randint(0, 6, (n,))
    t = torch.linspace(0, 1, 32)
    windows = {}
    for i, name in enumerate(SENSORS):
        freq = (labels.float() + 1 + i)[:, None, None]
        windows[name] = torch.sin(2 * 3.1416 * freq * t) + 0.3 * torch.randn(n, 3, 32)
    return windows, labels


torch.manual_seed(0)
model = FusionHAR(CONFIG["sensors"])
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)

for step in range(80):
    windows, labels = make_batch()
    windows = {name: x.requires_grad_(True) for name, x in windows.items()}
    loss = F.cross_entropy(model(windows), labels)
    input_grads = torch_grad(loss, list(windows.values()), create_graph=True, materialize_grads=True)
    penalty = len(labels) * sum(g.pow(2).sum() for g in input_grads)
    total = loss + CONFIG["penalty"] * penalty
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step}: loss {loss.item():.3f} input-gradient penalty {penalty.item():.4f}")
