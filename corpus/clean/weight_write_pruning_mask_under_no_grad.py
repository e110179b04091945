"""Iterative magnitude pruning done right: the masks are written into the weights under
torch.no_grad() after every optimizer step, and WGAN-style clipping goes through .data."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)
model = nn.Sequential(nn.Linear(16, 48), nn.ReLU(), nn.Linear(48, 3))
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
masks = {name: torch.ones_like(p, dtype=torch.bool) for name, p in model.named_parameters() if p.dim() == 2}


@torch.no_grad()
def apply_masks():
    for name, p in model.named_parameters():
        if name in masks:
            p[~masks[name]] = 0.0


def prune(rate=0.2):
    for name, p in model.named_parameters():
        if name in masks:
            alive = p.detach().abs()[masks[name]]
            masks[name] &= p.detach().abs() > alive.kthvalue(int(rate * alive.numel())).values
    apply_masks()


x = torch.randn(128, 16)
y = torch.randint(0, 3, (128,))
for step in range(6):
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    apply_masks()
    for p in model[2].parameters():
        p.data.clamp_(-1.0, 1.0)
    if step == 2:
        prune()
    print(step, loss.item())
