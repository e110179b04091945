# Contrastive training with a learned temperature. The temperature and a projection matrix are
# converted to float64 first and made trainable afterwards, so both stay leaves; the
# temperature's group is given as a parameter-group dict.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ContrastiveTrainer:
    def __init__(self, encoder, dim=16):
        self.encoder = encoder.double()
        self.log_temp = torch.tensor(-2.0)
        self.log_temp = self.log_temp.to(dtype=torch.float64).requires_grad_()
        proj = torch.randn(dim, dim) / dim ** 0.5
        proj = proj.double()
        proj.requires_grad_()
        self.proj = proj
        self.optimizer = torch.optim.Adam([
            {"params": self.encoder.parameters()},
            {"params": self.log_temp, "lr": 1e-2},
            {"params": [self.proj]},
        ], lr=1e-3)

    def step(self, a, b):
        za = F.normalize(self.encoder(a) @ self.proj, dim=1)
        zb = F.normalize(self.encoder(b) @ self.proj, dim=1)
        logits = za @ zb.t() / self.log_temp.exp()
        loss = F.cross_entropy(logits, torch.arange(len(a)))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
x = torch.randn(64, 12, dtype=torch.float64)
trainer = ContrastiveTrainer(nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 16)))
for it in range(20):
    noisy_a = x + 0.1 * torch.randn_like(x)
    noisy_b = x + 0.1 * torch.randn_like(x)
    loss = trainer.step(noisy_a, noisy_b)
    if it % 5 == 0:
        print(f"iter {it}: loss {loss:.4f} temperature {trainer.log_temp.exp().item():.4f}")
