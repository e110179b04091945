"""Classifier-free guidance training: the same conditional blocks are run twice per batch, once
with the class embedding and once without it (the unconditional branch the sampler mixes in).
The unconditional call leaves the label out on purpose, and the conditional one runs every layer."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_CLASSES = 4


class LabelFiLM(nn.Module):
    def __init__(self, dim, emb_dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.film = nn.Linear(emb_dim, 2 * dim)

    def forward(self, x, label_emb=None):
        h = self.fc(x)
        if label_emb is not None:
            scale, shift = self.film(label_emb).chunk(2, dim=-1)
            h = h * (1 + scale) + shift
        return x + F.gelu(h)


class GuidedDenoiser(nn.Module):
    def __init__(self, dim=32, emb_dim=16):
        super().__init__()
        self.label_embed = nn.Embedding(N_CLASSES, emb_dim)
        self.inp = nn.Linear(8 + 1, dim)
        self.block1 = LabelFiLM(dim, emb_dim)
        self.block2 = LabelFiLM(dim, emb_dim)
        self.out = nn.Linear(dim, 8)

    def forward(self, x, t, labels=None):
        h = self.inp(torch.cat([x, t[:, None]], dim=1))
        emb = self.label_embed(labels) if labels is not None else None
        h = self.block1(h, emb)
        h = self.block2(h, emb)
        return self.out(h)


torch.manual_seed(0)
model = GuidedDenoiser()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
centres = torch.randn(N_CLASSES, 8)
for step in range(80):
    labels = torch.randint(0, N_CLASSES, (64,))
    x0 = centres[labels] + 0.1 * torch.randn(64, 8)
    t = torch.rand(64)
    noise = torch.randn_like(x0)
    xt = (1 - t[:, None]) * x0 + t[:, None] * noise
    conditional = F.mse_loss(model(xt, t, labels), noise)
    unconditional = F.mse_loss(model(xt, t), noise)
    loss = 0.8 * conditional + 0.2 * unconditional
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step}: {loss.item():.4f}")
