"""Deep embedded clustering of synthetic sensor windows: an encoder maps each window to a small
embedding and a set of learned cluster centres pulls the embeddings together (a soft k-means
loss with Student-t assignments, sharpened to a target distribution as in DEC), while a decoder
keeps the embedding informative. Distances are computed on small mini-batches."""
from dataclasses import dataclass

import torch
from torch import cdist, nn
from torch.nn import functional as F


@dataclass
class Config:
    window: int = 32
    latent: int = 6
    n_clusters: int = 5
    batch_size: int = 20
    epochs: int = 8
    lr: float = 2e-3
    recon_weight: float = 1.0
    seed: int = 4


def sensor_windows(cfg, n, gen):
    t = torch.linspace(0, 1, cfg.window)
    kinds = torch.randint(0, cfg.n_clusters, (n,), generator=gen)
    freq = 1.0 + 2.0 * kinds.float()
    phase = torch.rand(n, generator=gen) * 6.28
    clean = torch.sin(6.28 * freq[:, None] * t + phase[:, None]) * (1 + 0.2 * kinds[:, None])
    return clean + 0.2 * torch.randn(n, cfg.window, generator=gen), kinds


class AutoEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(cfg.window, 64), nn.ReLU(), nn.Linear(64, cfg.latent))
        self.decoder = nn.Sequential(nn.Linear(cfg.latent, 64), nn.ReLU(), nn.Linear(64, cfg.window))


class ClusterHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.centres = nn.Parameter(torch.randn(cfg.n_clusters, cfg.latent))

    def forward(self, z):
        d2 = cdist(z, self.centres).pow(2)
        q = 1.0 / (1.0 + d2)
        return q / q.sum(1, keepdim=True)


def target_distribution(q):
    w = q ** 2 / q.sum(0)
    return (w.t() / w.sum(1)).t()


def fit(cfg):
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    x, kinds = sensor_windows(cfg, 600, gen)
    ae, head = AutoEncoder(cfg), ClusterHead(cfg)
    opt = torch.optim.Adam(list(ae.parameters()) + list(head.parameters()), lr=cfg.lr)

    for epoch in range(cfg.epochs):
        perm = torch.randperm(len(x), generator=gen)
        kl_sum, rec_sum = 0.0, 0.0
        for i in range(0, len(x), cfg.batch_size):
            xb = x[perm[i:i + cfg.batch_size]]
            z = ae.encoder(xb)
            q = head(z)
            p = target_distribution(q).detach()
            kl = F.kl_div(q.log(), p, reduction="batchmean")
            rec = F.mse_loss(ae.decoder(z), xb)
            loss = kl + cfg.recon_weight * rec
            opt.zero_grad()
            loss.backward()
            opt.step()
            kl_sum += kl.item()
            rec_sum += rec.item()
        batches = len(x) // cfg.batch_size
        print(f"epoch {epoch}: kl {kl_sum / batches:.4f}  recon {rec_sum / batches:.4f}")

    with torch.no_grad():
        assign = head(ae.encoder(x)).argmax(1)
    purity = sum((kinds[assign == k].bincount().max().item() if (assign == k).any() else 0) for k in range(cfg.n_clusters))
    print(f"cluster purity {purity / len(x):.3f}")


if __name__ == "__main__":
    fit(Config())
