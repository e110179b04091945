"""Two losses from one forward pass, each with its own backward(): the first keeps the graph on
purpose (retain_graph=True), so the second can go through it. Correct code."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

encoder = nn.Sequential(nn.Linear(12, 48), nn.ReLU(), nn.Linear(48, 24))
recon_head = nn.Linear(24, 12)
cls_head = nn.Linear(24, 4)
optimizer = torch.optim.Adam(
    [*encoder.parameters(), *recon_head.parameters(), *cls_head.parameters()], lr=1e-3
)

x = torch.randn(96, 12)
y = torch.randint(0, 4, (96,))
for step in range(6):
    z = encoder(x)
    recon_loss = F.mse_loss(recon_head(z), x)
    cls_loss = F.cross_entropy(cls_head(z), y)
    optimizer.zero_grad()
    recon_loss.backward(retain_graph=True)
    cls_loss.backward()
    optimizer.step()
    print(step, round(recon_loss.item(), 4), round(cls_loss.item(), 4))
