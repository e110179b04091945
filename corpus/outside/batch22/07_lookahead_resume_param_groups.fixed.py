# Report: https://github.com/kozistr/pytorch_optimizer/issues/237
# After the state of the Lookahead optimizer is loaded from a checkpoint, Lookahead.param_groups is
# not updated: it still points at the groups of the inner optimizer from before the load.
"""Resume a shape classifier from the previous job's checkpoint and fine-tune it with a fresh
warm-up + cosine schedule, using Lookahead(AdamW)."""
import io
import math
import time
from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import Optimizer
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Lookahead(Optimizer):
    """k steps forward with the inner optimizer, then pull the slow weights toward the fast ones."""

    def __init__(self, optimizer: Optimizer, k: int = 5, alpha: float = 0.5):
        self._optimizer_step_pre_hooks = {}
        self._optimizer_step_post_hooks = {}
        self.optimizer = optimizer
        self.k, self.alpha = k, alpha
        self.defaults = dict(optimizer.defaults, k=k, alpha=alpha)
        self.state = defaultdict(dict)
        self._step = 0

    @property
    def param_groups(self):
        return self.optimizer.param_groups

    @torch.no_grad()
    def step(self, closure=None):
        loss = self.optimizer.step(closure)
        self._step += 1
        if self._step % self.k == 0:
            for group in self.param_groups:
                for fast in group["params"]:
                    slow = self.optimizer.state[fast].setdefault("lookahead_slow_buff", fast.detach().clone())
                    slow.add_(fast - slow, alpha=self.alpha)
                    fast.copy_(slow)
        return loss

    def zero_grad(self, set_to_none: bool = True):
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        return {"inner": self.optimizer.state_dict(), "step": self._step}

    def load_state_dict(self, state_dict):
        self.optimizer.load_state_dict(state_dict["inner"])
        self._step = state_dict["step"]


def make_shapes(n, seed, size=20):
    """Squares, crosses and rings with random position/scale on a noisy background."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    imgs, labels = [], []
    for _ in range(n):
        c = int(torch.randint(0, 3, (1,), generator=g))
        cy, cx = torch.randint(6, size - 6, (2,), generator=g).tolist()
        r = int(torch.randint(3, 6, (1,), generator=g))
        if c == 0:
            m = ((yy - cy).abs() <= r) & ((xx - cx).abs() <= r)
        elif c == 1:
            m = (((yy - cy).abs() <= 1) & ((xx - cx).abs() <= r)) | (((xx - cx).abs() <= 1) & ((yy - cy).abs() <= r))
        else:
            d = ((yy - cy) ** 2 + (xx - cx) ** 2).float().sqrt()
            m = (d - r).abs() <= 1.0
        img = m.float() + 0.3 * torch.randn(size, size, generator=g)
        imgs.append(img)
        labels.append(c)
    return TensorDataset(torch.stack(imgs).unsqueeze(1), torch.tensor(labels))


class ShapeNet(nn.Module):
    def __init__(self, n_classes=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.classifier = nn.Sequential(nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, n_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def build_optimizer(model, lr):
    return Lookahead(torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4), k=5)


def run_epoch(model, loader, optimizer, scheduler):
    model.train()
    total = 0.0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item() * len(y)
    return total / len(loader.dataset)


@torch.no_grad()
def accuracy(model, loader):
    model.eval()
    hits = sum((model(x.to(device)).argmax(1) == y.to(device)).sum().item() for x, y in loader)
    return hits / len(loader.dataset)


def previous_job(train_loader, epochs=5, lr=3e-3):
    """The earlier pre-training run; its last checkpoint is kept in memory here."""
    net = ShapeNet().to(device)
    opt = build_optimizer(net, lr)
    total = epochs * len(train_loader)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1.0 - s / total))
    for _ in range(epochs):
        run_epoch(net, train_loader, opt, sched)
    buf = io.BytesIO()
    torch.save({"model": net.state_dict(), "optimizer": opt.state_dict()}, buf)
    buf.seek(0)
    return buf


train_loader = DataLoader(make_shapes(400, seed=1), batch_size=40, shuffle=True)
valid_loader = DataLoader(make_shapes(200, seed=2), batch_size=100)
ckpt_file = previous_job(train_loader)

# ---- resume and fine-tune ----
FINETUNE_EPOCHS, FINETUNE_LR, WARMUP = 6, 1e-3, 20
model = ShapeNet().to(device)
optimizer = build_optimizer(model, FINETUNE_LR)
ckpt = torch.load(ckpt_file, map_location=device)
model.load_state_dict(ckpt["model"])
optimizer.load_state_dict(ckpt["optimizer"])
print(f"resumed: valid acc {accuracy(model, valid_loader):.3f}")

total_steps = FINETUNE_EPOCHS * len(train_loader)


def warmup_cosine(step):
    if step < WARMUP:
        return (step + 1) / WARMUP
    progress = (step - WARMUP) / max(1, total_steps - WARMUP)
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, warmup_cosine)
start = time.time()
for epoch in range(FINETUNE_EPOCHS):
    train_loss = run_epoch(model, train_loader, optimizer, scheduler)
    print(f"epoch {epoch} loss {train_loss:.4f} valid acc {accuracy(model, valid_loader):.3f} "
          f"lr {optimizer.param_groups[0]['lr']:.2e} ({time.time() - start:.1f}s)")
