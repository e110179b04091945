# Feature extractors whose output layers are built on the first call and kept afterwards.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Regressor(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(7, hidden), nn.Tanh())
        self.head = None

    def forward(self, x):
        h = self.trunk(x)
        if self.head is None:
            self.head = nn.Linear(h.shape[1], 1)
        return self.head(h)


class Denoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = nn.Conv1d(1, 8, 3, padding=1)

    def forward(self, signal):
        h = F.relu(self.encode(signal))
        if not hasattr(self, "decode"):
            self.decode = nn.Conv1d(h.shape[1], 1, 3, padding=1)
        return self.decode(h)


torch.manual_seed(0)
x = torch.randn(128, 7)
y = x[:, :3].sum(1, keepdim=True)
signal = torch.randn(64, 1, 30)

regressor, denoiser = Regressor(), Denoiser()
regressor(x[:1])
denoiser(signal[:1])
optimizer = torch.optim.Adam(list(regressor.parameters()) + list(denoiser.parameters()), lr=1e-2)
for step in range(6):
    batch = slice(16 * step, 16 * step + 16)
    noisy = signal[batch] + 0.3 * torch.randn_like(signal[batch])
    loss = F.mse_loss(regressor(x[batch]), y[batch]) + F.mse_loss(denoiser(noisy), signal[batch])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, f"{loss.item():.4f}")
