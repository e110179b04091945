# SimCLR-style pretraining followed by a linear probe, both under DistributedDataParallel.
#
# Reproduces: https://github.com/facebookresearch/ClassyVision/pull/398
# ("Fix fine-tuning": freezing the trunk after the model was wrapped for DDP raised
#  "Expected to have finished reduction in the prior iteration before starting a new one")
#
# What goes wrong (in my words): the linear-probe model is wrapped in DDP by the shared
# wrap_ddp() helper, and only afterwards is its encoder frozen with requires_grad_(False).
# DDP's reducer was built when every parameter still required grad, so it waits for
# gradients of the encoder parameters that never arrive; the first backward leaves the
# reduction unfinished and the second iteration stops with "Expected to have finished
# reduction in the prior iteration before starting a new one".
import argparse
import os
import tempfile

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset

CFG = {"in_dim": 32, "hidden": 64, "feat": 32, "proj": 16, "classes": 4, "temperature": 0.2,
       "pretrain_lr": 1e-3, "probe_lr": 1e-2}


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(cfg["in_dim"], cfg["hidden"]), nn.ReLU(),
                                 nn.Linear(cfg["hidden"], cfg["feat"]))

    def forward(self, x):
        return self.net(x)


class SSLNet(nn.Module):
    def __init__(self, encoder, cfg):
        super().__init__()
        self.encoder = encoder
        self.projector = nn.Sequential(nn.Linear(cfg["feat"], cfg["feat"]), nn.ReLU(), nn.Linear(cfg["feat"], cfg["proj"]))

    def forward(self, x):
        return self.projector(self.encoder(x))


class ProbeNet(nn.Module):
    def __init__(self, encoder, cfg):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(cfg["feat"], cfg["classes"])

    def forward(self, x):
        return self.head(self.encoder(x))


def nt_xent(z1, z2, t):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / t
    n = z1.shape[0]
    sim.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


def augment(x):
    return x * (1 + 0.1 * torch.randn_like(x)) + 0.05 * torch.randn_like(x)


def init_distributed(tmpdir):
    store = dist.FileStore(os.path.join(tmpdir, "store"), 1)
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)


def wrap_ddp(module):
    return DDP(module)  # CPU / gloo: no device_ids


def make_data(n, cfg, seed):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(cfg["classes"], cfg["in_dim"], generator=g) * 2
    y = torch.randint(0, cfg["classes"], (n,), generator=g)
    x = centers[y] + torch.randn(n, cfg["in_dim"], generator=g)
    return TensorDataset(x, y)


def pretrain(encoder, loader, epochs):
    model = wrap_ddp(SSLNet(encoder, CFG))
    opt = torch.optim.Adam(model.parameters(), lr=CFG["pretrain_lr"])
    for epoch in range(epochs):
        tot = 0.0
        for x, _ in loader:
            loss = nt_xent(model(augment(x)), model(augment(x)), CFG["temperature"])
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.item()
        print(f"[pretrain] epoch {epoch} nt-xent {tot / len(loader):.4f}")


def set_backbone_trainable(model, flag):
    model.encoder.requires_grad_(flag)


def linear_probe(encoder, loader, epochs):
    net = ProbeNet(encoder, CFG)
    set_backbone_trainable(net, False)                # linear evaluation: freeze before DDP wraps it
    probe = wrap_ddp(net)
    opt = torch.optim.SGD(probe.module.head.parameters(), lr=CFG["probe_lr"], momentum=0.9)
    for epoch in range(epochs):
        correct, seen = 0, 0
        for x, y in loader:
            logits = probe(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
        print(f"[probe] epoch {epoch} acc {correct / seen:.3f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pretrain-epochs", type=int, default=5)
    parser.add_argument("--probe-epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    with tempfile.TemporaryDirectory() as tmpdir:
        init_distributed(tmpdir)
        try:
            data = make_data(1024, CFG, seed=0)
            loader = DataLoader(data, batch_size=args.batch_size, shuffle=True, drop_last=True)
            encoder = Encoder(CFG)
            pretrain(encoder, loader, args.pretrain_epochs)
            linear_probe(encoder, loader, args.probe_epochs)
        finally:
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
