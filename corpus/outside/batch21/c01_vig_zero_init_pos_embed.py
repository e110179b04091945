# Source: https://github.com/huawei-noah/Efficient-AI-Backbones/issues/188
# Correct look-alike. A small Vision GNN (ViG): patches become graph nodes, each Grapher block
# links every node to its k nearest neighbours in feature space and aggregates max-relative
# features. Things that look wrong but are right:
#   * the absolute position embedding is nn.Parameter(torch.zeros(...)): zero-initialised, but it
#     is added to the stem output, so its gradient is the (non-zero) gradient of that sum and it
#     trains from the first step (the question in the linked issue);
#   * the kNN graph is built under torch.no_grad() and only its integer indices are used: graph
#     construction is not meant to be differentiated, the features gathered with the indices are;
#   * neighbours are gathered with long indices from topk; evaluation runs under no_grad in eval().
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = dict(img=16, patch=4, channels=48, blocks=2, k=4, n_train=1024, n_val=256,
           batch=64, epochs=8, lr=3e-3, seed=4)


def make_data(n, img, gen):
    """Four shape classes (disc, square, ring, bar) at random positions and contrasts."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, img), torch.linspace(-1, 1, img), indexing="ij")
    labels = torch.randint(0, 4, (n,), generator=gen)
    out = torch.empty(n, 1, img, img)
    for i, y in enumerate(labels.tolist()):
        cy, cx = ((torch.rand(2, generator=gen) - 0.5) * 0.8).tolist()
        r = 0.35 + 0.25 * torch.rand(1, generator=gen).item()
        d2 = (yy - cy) ** 2 + (xx - cx) ** 2
        if y == 0:
            m = d2 < r ** 2
        elif y == 1:
            m = ((yy - cy).abs() < r) & ((xx - cx).abs() < r)
        elif y == 2:
            m = (d2 < r ** 2) & (d2 > (0.55 * r) ** 2)
        else:
            m = ((yy - cy).abs() < 0.3 * r) & ((xx - cx).abs() < 1.3 * r)
        contrast = 0.5 + 0.5 * torch.rand(1, generator=gen).item()
        out[i, 0] = contrast * m.float() + 0.1 * torch.randn(img, img, generator=gen)
    return out, labels


def knn_indices(x, k):
    # x: (B, N, C); cosine-similarity kNN, self included
    with torch.no_grad():
        xn = F.normalize(x, dim=-1)
        sim = xn @ xn.transpose(1, 2)
        return sim.topk(k, dim=-1).indices            # (B, N, k), int64


class Grapher(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.k = k
        self.fc_in = nn.Linear(c, c)
        self.mix = nn.Linear(2 * c, c)
        self.fc_out = nn.Linear(c, c)
        self.norm = nn.LayerNorm(c)

    def forward(self, x):
        h = self.fc_in(self.norm(x))
        idx = knn_indices(h, self.k)
        b, n, c = h.shape
        offset = torch.arange(b, device=h.device).view(b, 1, 1) * n
        neigh = h.reshape(b * n, c)[idx + offset]       # (B, N, k, C)
        rel = (neigh - h.unsqueeze(2)).amax(dim=2)      # max-relative aggregation
        h = F.gelu(self.mix(torch.cat([h, rel], dim=-1)))
        return x + self.fc_out(h)


class FFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = nn.LayerNorm(c)
        self.net = nn.Sequential(nn.Linear(c, 2 * c), nn.GELU(), nn.Linear(2 * c, c))

    def forward(self, x):
        return x + self.net(self.norm(x))


class TinyViG(nn.Module):
    def __init__(self, img, patch, c, n_blocks, k, n_classes=4):
        super().__init__()
        self.grid = img // patch
        self.stem = nn.Sequential(nn.Conv2d(1, c // 2, 3, padding=1), nn.GELU(),
                                  nn.Conv2d(c // 2, c, patch, stride=patch))
        self.pos_embed = nn.Parameter(torch.zeros(1, c, self.grid, self.grid))
        self.blocks = nn.ModuleList(nn.Sequential(Grapher(c, k), FFN(c)) for _ in range(n_blocks))
        self.head = nn.Sequential(nn.LayerNorm(c), nn.Linear(c, n_classes))

    def forward(self, x):
        x = self.stem(x) + self.pos_embed
        x = x.flatten(2).transpose(1, 2)                # (B, N, C)
        for blk in self.blocks:
            x = blk(x)
        return self.head(x.mean(1))


gen = torch.Generator().manual_seed(CFG["seed"])
torch.manual_seed(CFG["seed"])
xtr, ytr = make_data(CFG["n_train"], CFG["img"], gen)
xva, yva = make_data(CFG["n_val"], CFG["img"], gen)

model = TinyViG(CFG["img"], CFG["patch"], CFG["channels"], CFG["blocks"], CFG["k"])
opt = torch.optim.AdamW(model.parameters(), lr=CFG["lr"], weight_decay=0.05)
steps_per_epoch = math.ceil(CFG["n_train"] / CFG["batch"])
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=CFG["epochs"] * steps_per_epoch, eta_min=1e-5)

for epoch in range(CFG["epochs"]):
    model.train()
    perm = torch.randperm(CFG["n_train"], generator=gen)
    tot = 0.0
    for s in range(steps_per_epoch):
        idx = perm[s * CFG["batch"]:(s + 1) * CFG["batch"]]
        loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        tot += loss.item()
    model.eval()
    with torch.no_grad():
        acc = (model(xva).argmax(1) == yva).float().mean().item()
    print(f"epoch {epoch + 1} loss {tot / steps_per_epoch:.4f} val acc {acc:.3f} "
          f"|pos_embed| {model.pos_embed.abs().mean().item():.4f}")
