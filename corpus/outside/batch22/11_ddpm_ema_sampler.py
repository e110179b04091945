# Report: https://github.com/acids-ircam/diffusion_models/issues/10
# The report: in the notebooks the EMA helper's update() only changes its own shadow copy, and the user
# finds that the smoothing never reaches the model that is used afterwards.
"""DDPM on a 2-D toy distribution (a ring of 8 Gaussians) with an EMA copy of the denoiser for sampling."""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

T = 100
EPOCHS = 6
BATCH = 128


def ring_of_gaussians(n, k=8, radius=2.0, std=0.08, seed=0):
    g = torch.Generator().manual_seed(seed)
    centers = torch.tensor([[radius * math.cos(2 * math.pi * i / k), radius * math.sin(2 * math.pi * i / k)]
                            for i in range(k)])
    idx = torch.randint(0, k, (n,), generator=g)
    return centers[idx] + std * torch.randn(n, 2, generator=g)


class EMAHelper:
    def __init__(self, mu=0.99):
        self.mu = mu
        self.shadow = {}

    def register(self, module):
        for name, param in module.named_parameters():
            if param.requires_grad:
                self.shadow[name] = param.data.clone()

    def update(self, module):
        for name, param in module.named_parameters():
            if param.requires_grad:
                self.shadow[name].data = (1.0 - self.mu) * param.data + self.mu * self.shadow[name].data

    def ema(self, module):
        for name, param in module.named_parameters():
            if param.requires_grad:
                param.data.copy_(self.shadow[name].data)

    def ema_copy(self, module):
        module_copy = copy.deepcopy(module)
        self.ema(module_copy)
        return module_copy


def timestep_embedding(t, dim=32):
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class Denoiser(nn.Module):
    def __init__(self, hidden=128):
        super().__init__()
        self.t_mlp = nn.Sequential(nn.Linear(32, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.inp = nn.Linear(2, hidden)
        self.blocks = nn.ModuleList([nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden)) for _ in range(3)])
        self.out = nn.Linear(hidden, 2)

    def forward(self, x, t):
        h = self.inp(x)
        temb = self.t_mlp(timestep_embedding(t))
        for blk in self.blocks:
            h = h + blk(h + temb)
        return self.out(F.silu(h))


betas = torch.linspace(1e-4, 0.05, T, device=device)
alphas = 1.0 - betas
alpha_bar = torch.cumprod(alphas, dim=0)


def q_sample(x0, t, noise):
    ab = alpha_bar[t].unsqueeze(1)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


@torch.no_grad()
def p_sample_loop(net, n):
    x = torch.randn(n, 2, device=device)
    for i in reversed(range(T)):
        t = torch.full((n,), i, device=device, dtype=torch.long)
        eps = net(x, t)
        mean = (x - betas[i] / (1 - alpha_bar[i]).sqrt() * eps) / alphas[i].sqrt()
        x = mean + (betas[i].sqrt() * torch.randn_like(x) if i > 0 else 0.0)
    return x


def ring_score(samples, radius=2.0):
    """Mean distance of samples to the ring: close to 0 when the model has learnt the data."""
    return (samples.norm(dim=1) - radius).abs().mean().item()


data = ring_of_gaussians(4096)
loader = DataLoader(TensorDataset(data), batch_size=BATCH, shuffle=True, drop_last=True)

model = Denoiser().to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.0)
ema_helper = EMAHelper(mu=0.99)
ema_helper.register(model)
ema_model = ema_helper.ema_copy(model)
ema_model.eval()


def validate(epoch):
    samples = p_sample_loop(ema_model, 512)
    print(f"  [val] epoch {epoch}: EMA sampler ring distance {ring_score(samples):.3f}")


step = 0
for epoch in range(EPOCHS):
    model.train()
    running = 0.0
    for (x0,) in loader:
        x0 = x0.to(device)
        t = torch.randint(0, T, (x0.shape[0],), device=device)
        noise = torch.randn_like(x0)
        loss = F.mse_loss(model(q_sample(x0, t, noise), t), noise)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        ema_helper.update(model)
        running += loss.item()
        step += 1
    print(f"epoch {epoch}: loss {running / len(loader):.4f} (step {step})")
    if epoch % 2 == 1:
        validate(epoch)

final = p_sample_loop(ema_model, 1024)
print(f"final EMA samples: ring distance {ring_score(final):.3f}, spread {final.std(0).tolist()}")
