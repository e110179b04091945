# SimCLR-style contrastive training: the projection head has no __init__ and builds its layer in forward().
import torch
import torch.nn as nn
import torch.nn.functional as F


class ProjectionHead(nn.Module):
    """Maps encoder features onto the unit sphere where the contrastive loss is computed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.linear = nn.Linear(32, 16)

    def forward(self, feats):
        return F.normalize(self.linear(feats), dim=-1)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32))
        self.head = ProjectionHead()

    def forward(self, x):
        return self.head(self.body(x))


def nt_xent(z1, z2, temperature=0.5):
    z = torch.cat([z1, z2])
    sim = z @ z.t() / temperature
    sim.fill_diagonal_(float("-inf"))
    n = z1.size(0)
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


torch.manual_seed(0)
encoder = Encoder()
optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
data = torch.randn(128, 20)
for step in range(20):
    batch = data[torch.randint(0, 128, (32,))]
    view1 = batch + 0.1 * torch.randn_like(batch)
    view2 = batch + 0.1 * torch.randn_like(batch)
    loss = nt_xent(encoder(view1), encoder(view2))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(step, round(loss.item(), 4))
