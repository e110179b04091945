"""Meta-learning a GRU forecaster over many sensors: for each sensor a fresh instance of the model
is given the shared weights with load_state_dict, fine-tuned on the sensor's history, and its
error on the next hours should update the shared weights."""
import torch
import torch.nn as nn
from torch.nn import functional as F


class GRUForecaster(nn.Module):
    def __init__(self, n_in=1, hidden=24):
        super().__init__()
        self.n_in, self.hidden = n_in, hidden
        self.gru = nn.GRU(n_in, hidden, batch_first=True)
        self.proj = nn.Linear(hidden, 1)

    def forward(self, seq):
        out, _ = self.gru(seq)
        return self.proj(out[:, -1]).squeeze(-1)


def sensor_windows(g, n=32, length=16):
    freq = 0.2 + 0.6 * torch.rand(1, generator=g)
    t = torch.arange(n + length + 1).float()
    wave = torch.sin(freq * t) + 0.05 * torch.randn(len(t), generator=g)
    windows = torch.stack([wave[i : i + length] for i in range(n)]).unsqueeze(-1)
    targets = torch.stack([wave[i + length] for i in range(n)])
    return windows, targets


def fresh_copy(model):
    twin = type(model)(model.n_in, model.hidden)
    twin.load_state_dict(model.state_dict())
    return twin


g = torch.Generator().manual_seed(5)
shared = GRUForecaster()
meta_opt = torch.optim.AdamW(shared.parameters(), lr=2e-3, weight_decay=1e-4)

for epoch in range(12):
    meta_opt.zero_grad()
    windows, targets = sensor_windows(g)
    local = fresh_copy(shared)
    local_opt = torch.optim.SGD(local.parameters(), lr=0.05)
    for _ in range(3):
        local_opt.zero_grad()
        F.mse_loss(local(windows[:16]), targets[:16]).backward()
        local_opt.step()
    held_out = F.mse_loss(local(windows[16:]), targets[16:])
    grads = torch.autograd.grad(held_out, list(local.parameters()))
    for p, grad in zip(shared.parameters(), grads):
        p.grad = grad if p.grad is None else p.grad + grad
    meta_opt.step()
    print(f"epoch {epoch}: held-out mse {held_out.item():.4f}")
