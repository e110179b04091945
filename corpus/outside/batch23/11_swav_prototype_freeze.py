# Report: https://github.com/facebookresearch/swav/issues/76
# The maintainer explains that freeze_prototypes_niters=313 means "one epoch of ImageNet at
# batch size 4096": during those iterations the prototype gradients are cancelled.
"""SwAV-style self-supervised pre-training on synthetic feature vectors, then a linear probe."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

config = dict(
    epochs=8,
    batch_size=128,
    base_lr=0.05,
    weight_decay=1e-6,
    temperature=0.1,
    epsilon=0.05,
    sinkhorn_iterations=3,
    nmb_prototypes=30,
    feat_dim=32,
    freeze_prototypes_niters=313,
)
torch.manual_seed(0)


class ClusteredVectors(Dataset):
    def __init__(self, n, n_clusters=10, dim=48, seed=0):
        g = torch.Generator().manual_seed(seed)
        centers = torch.randn(n_clusters, dim, generator=torch.Generator().manual_seed(99)) * 2
        self.y = torch.randint(n_clusters, (n,), generator=g)
        self.x = centers[self.y] + torch.randn(n, dim, generator=g)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def augment(x):
    mask = (torch.rand_like(x) > 0.2).float()
    return x * mask + 0.3 * torch.randn_like(x)


class SwAVModel(nn.Module):
    def __init__(self, in_dim=48, hidden=128, feat_dim=32, n_protos=30):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(in_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                      nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU())
        self.projection_head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(),
                                             nn.Linear(hidden, feat_dim))
        self.prototypes = nn.Linear(feat_dim, n_protos, bias=False)

    def forward(self, x):
        z = F.normalize(self.projection_head(self.backbone(x)), dim=1)
        w = F.normalize(self.prototypes.weight, dim=1)
        return z, z @ w.t()


@torch.no_grad()
def sinkhorn(scores, eps, iters):
    q = torch.exp(scores / eps).t()
    q /= q.sum()
    k, b = q.shape
    for _ in range(iters):
        q /= q.sum(dim=1, keepdim=True)
        q /= k
        q /= q.sum(dim=0, keepdim=True)
        q /= b
    return (q * b).t()


def swav_loss(scores_a, scores_b, cfg):
    q_a = sinkhorn(scores_a.detach(), cfg["epsilon"], cfg["sinkhorn_iterations"])
    q_b = sinkhorn(scores_b.detach(), cfg["epsilon"], cfg["sinkhorn_iterations"])
    p_a = F.log_softmax(scores_a / cfg["temperature"], dim=1)
    p_b = F.log_softmax(scores_b / cfg["temperature"], dim=1)
    return -0.5 * ((q_a * p_b).sum(1).mean() + (q_b * p_a).sum(1).mean())


def linear_probe(model, train_set, val_set):
    model.eval()
    with torch.no_grad():
        ftr = model.backbone(train_set.x)
        fva = model.backbone(val_set.x)
    clf = nn.Linear(ftr.shape[1], 10)
    opt = torch.optim.Adam(clf.parameters(), lr=1e-2)
    for _ in range(100):
        opt.zero_grad()
        F.cross_entropy(clf(ftr), train_set.y).backward()
        opt.step()
    model.train()
    return (clf(fva).argmax(1) == val_set.y).float().mean().item()


train_set, val_set = ClusteredVectors(2048, seed=1), ClusteredVectors(512, seed=2)
loader = DataLoader(train_set, batch_size=config["batch_size"], shuffle=True, drop_last=True)
model = SwAVModel(feat_dim=config["feat_dim"], n_protos=config["nmb_prototypes"])
optimizer = torch.optim.SGD(model.parameters(), lr=config["base_lr"], momentum=0.9,
                            weight_decay=config["weight_decay"])
total_iters = config["epochs"] * len(loader)
warmup = len(loader)

iteration = 0
for epoch in range(config["epochs"]):
    epoch_loss = 0.0
    for x, _ in loader:
        lr = config["base_lr"] * (iteration + 1) / warmup if iteration < warmup else \
            0.5 * config["base_lr"] * (1 + math.cos(math.pi * (iteration - warmup) / (total_iters - warmup)))
        for group in optimizer.param_groups:
            group["lr"] = lr

        _, scores_a = model(augment(x))
        _, scores_b = model(augment(x))
        loss = swav_loss(scores_a, scores_b, config)

        optimizer.zero_grad()
        loss.backward()
        if iteration < config["freeze_prototypes_niters"]:
            for name, p in model.named_parameters():
                if "prototypes" in name:
                    p.grad = None
        optimizer.step()
        iteration += 1
        epoch_loss += loss.item()
    print(f"epoch {epoch}: swav loss {epoch_loss / len(loader):.4f} lr {lr:.4f}")

print(f"linear probe accuracy: {linear_probe(model, train_set, val_set):.3f}")
