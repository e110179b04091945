# Report: https://github.com/pytorch/pytorch/issues/71062
# A siamese encoder with an orthogonal-parametrized projection enters
# torch.nn.utils.parametrize.cached() once around the whole training loop to save the
# re-computation: the cached weight (and its graph) is reused by the second step, whose
# backward() then fails with "Trying to backward through the graph a second time" (crash).
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.parametrize as parametrize
from torch.nn.utils.parametrizations import orthogonal

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

hparams = {"in_dim": 32, "hidden": 64, "emb": 16, "margin": 0.5, "lr": 1e-3, "epochs": 3, "steps_per_epoch": 10}


class Encoder(nn.Module):
    def __init__(self, in_dim, hidden, emb):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.proj = orthogonal(nn.Linear(hidden, emb, bias=False))

    def forward(self, x):
        return F.normalize(self.proj(self.backbone(x)), dim=-1)


class SiameseNet(nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.encoder = Encoder(kw["in_dim"], kw["hidden"], kw["emb"])

    def forward(self, x1, x2):
        return self.encoder(x1), self.encoder(x2)


def contrastive_loss(z1, z2, same, margin):
    d = (z1 - z2).pow(2).sum(-1).clamp_min(1e-9).sqrt()
    return (same * d.pow(2) + (1 - same) * F.relu(margin - d).pow(2)).mean()


def sample_pairs(n=64, dim=32, n_classes=8):
    centers = torch.randn(n_classes, dim)
    c1 = torch.randint(0, n_classes, (n,))
    same = (torch.rand(n) < 0.5).float()
    c2 = torch.where(same.bool(), c1, torch.randint(0, n_classes, (n,)))
    x1 = centers[c1] + 0.3 * torch.randn(n, dim)
    x2 = centers[c2] + 0.3 * torch.randn(n, dim)
    return x1, x2, (c1 == c2).float()


model = SiameseNet(**hparams).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=hparams["lr"])


def train():
    model.train()
    # the orthogonal map is expensive: compute it once and reuse it for both branches
    for epoch in range(hparams["epochs"]):
        for step in range(hparams["steps_per_epoch"]):
            x1, x2, same = (t.to(device) for t in sample_pairs())
            with parametrize.cached():
                z1, z2 = model(x1, x2)
                loss = contrastive_loss(z1, z2, same, hparams["margin"])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} loss {loss.item():.4f}")


train()
