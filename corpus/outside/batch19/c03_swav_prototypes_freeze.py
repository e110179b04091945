# SwAV (swapped prototype assignments) self-supervised pretraining on tabular sensor windows.
#
# Pattern from: https://github.com/facebookresearch/swav/blob/main/main_swav.py
#
# Looks wrong but is fine: the prototype gradients are thrown away (p.grad = None) right
# before optimizer.step() for the first `freeze_prototypes_niters` iterations; the prototype
# weights are overwritten in place with their L2-normalised copy under no_grad at every
# iteration; the cluster codes come from Sinkhorn-Knopp inside torch.no_grad(); and the
# embeddings are detached before they are used. All of that is deliberate: after the freeze
# window the prototypes receive gradients and train like every other layer, and the codes
# are targets, not something to backpropagate through.
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CFG = {"in_dim": 40, "hidden": 128, "feat": 32, "n_prototypes": 24, "temperature": 0.1,
       "epsilon": 0.05, "sinkhorn_iterations": 3, "freeze_prototypes_niters": 60,
       "base_lr": 0.05, "final_lr": 0.0005, "warmup_iters": 20, "wd": 1e-6}


class SwAVNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(cfg["in_dim"], cfg["hidden"]), nn.BatchNorm1d(cfg["hidden"]), nn.ReLU(),
                                      nn.Linear(cfg["hidden"], cfg["hidden"]), nn.BatchNorm1d(cfg["hidden"]), nn.ReLU())
        self.projection_head = nn.Sequential(nn.Linear(cfg["hidden"], cfg["hidden"]), nn.BatchNorm1d(cfg["hidden"]),
                                             nn.ReLU(), nn.Linear(cfg["hidden"], cfg["feat"]))
        self.prototypes = nn.Linear(cfg["feat"], cfg["n_prototypes"], bias=False)

    def forward(self, x):
        z = F.normalize(self.projection_head(self.backbone(x)), dim=1, p=2)
        return z, self.prototypes(z)


@torch.no_grad()
def sinkhorn(out, epsilon, n_iters):
    Q = torch.exp(out / epsilon).t()            # K x B
    Q /= Q.sum()
    K, B = Q.shape
    for _ in range(n_iters):
        Q /= Q.sum(dim=1, keepdim=True)
        Q /= K
        Q /= Q.sum(dim=0, keepdim=True)
        Q /= B
    Q *= B
    return Q.t()


def two_views(x):
    def aug(v):
        keep = (torch.rand_like(v) > 0.15).float()
        return v * keep * (1 + 0.2 * torch.randn(v.shape[0], 1)) + 0.1 * torch.randn_like(v)
    return aug(x), aug(x)


def make_windows(n, cfg, seed=0):
    g = torch.Generator().manual_seed(seed)
    regimes = torch.randn(8, cfg["in_dim"], generator=g)
    r = torch.randint(0, 8, (n,), generator=g)
    return TensorDataset(regimes[r] + 0.5 * torch.randn(n, cfg["in_dim"], generator=g), r)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    loader = DataLoader(make_windows(1536, CFG), batch_size=args.batch_size, shuffle=True, drop_last=True)
    model = SwAVNet(CFG)
    optimizer = torch.optim.SGD(model.parameters(), lr=CFG["base_lr"], momentum=0.9, weight_decay=CFG["wd"])

    total = args.epochs * len(loader)
    warm = torch.linspace(0, CFG["base_lr"], CFG["warmup_iters"]).tolist()
    cos = [CFG["final_lr"] + 0.5 * (CFG["base_lr"] - CFG["final_lr"]) *
           (1 + math.cos(math.pi * t / (total - CFG["warmup_iters"]))) for t in range(total - CFG["warmup_iters"])]
    lr_schedule = warm + cos

    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for it, (x, _) in enumerate(loader):
            iteration = epoch * len(loader) + it
            for group in optimizer.param_groups:
                group["lr"] = lr_schedule[iteration]

            # normalize the prototypes
            with torch.no_grad():
                w = model.prototypes.weight.data.clone()
                model.prototypes.weight.copy_(F.normalize(w, dim=1, p=2))

            v1, v2 = two_views(x)
            bs = x.shape[0]
            embedding, output = model(torch.cat([v1, v2]))
            embedding = embedding.detach()

            loss = 0.0
            for crop_id in range(2):
                with torch.no_grad():
                    q = sinkhorn(output[bs * crop_id: bs * (crop_id + 1)], CFG["epsilon"], CFG["sinkhorn_iterations"])
                other = 1 - crop_id
                p = F.softmax(output[bs * other: bs * (other + 1)] / CFG["temperature"], dim=1)
                loss = loss - torch.mean(torch.sum(q * torch.log(p), dim=1))
            loss = loss / 2

            optimizer.zero_grad()
            loss.backward()
            # cancel the prototype gradients during the first iterations
            if iteration < CFG["freeze_prototypes_niters"]:
                for name, p in model.named_parameters():
                    if "prototypes" in name:
                        p.grad = None
            optimizer.step()
            running += loss.item()
        print(f"epoch {epoch}  swav loss {running / len(loader):.4f}  lr {lr_schedule[iteration]:.5f}")


if __name__ == "__main__":
    main()
