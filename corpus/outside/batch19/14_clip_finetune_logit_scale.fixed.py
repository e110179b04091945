# Contrastive (CLIP-style) fine-tuning of a pretrained dual encoder on a new paired domain.
#
# Reproduces: https://github.com/openai/CLIP/pull/530
# ("Clamp logit_scale to prevent numerical instability": logit_scale = torch.clamp(logit_scale.exp(), max=100))
# see also https://github.com/mlfoundations/open_clip/issues/214 (the learned scale ends up at the 100 cap)
#
# What goes wrong (in my words): the forward clamps the *exponentiated* temperature at 100,
# as proposed in the PR. The checkpoint being fine-tuned was trained with the usual log-space
# cap, so its logit_scale is stored as 4.6052, a hair above ln(100) = 4.60517; exp() gives
# 100.003, the clamp is active from the first step and passes back an exactly zero gradient.
# The learnable temperature is excluded from weight decay (as usual), so AdamW never moves it:
# logit_scale stays at 4.6052 for the whole fine-tuning while both towers train normally.
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CFG = {"img_dim": 48, "vocab": 200, "txt_len": 12, "width": 64, "embed": 32,
       "lr": 2e-3, "wd": 0.1, "warmup": 20}


class VisionTower(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(cfg["img_dim"], cfg["width"]), nn.GELU(), nn.LayerNorm(cfg["width"]))
        self.proj = nn.Linear(cfg["width"], cfg["embed"], bias=False)

    def forward(self, x):
        return self.proj(self.mlp(x))


class TextTower(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok = nn.Embedding(cfg["vocab"], cfg["width"])
        self.ln = nn.LayerNorm(cfg["width"])
        self.proj = nn.Linear(cfg["width"], cfg["embed"], bias=False)

    def forward(self, ids):
        return self.proj(self.ln(self.tok(ids).mean(1)))


class DualEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.visual = VisionTower(cfg)
        self.text = TextTower(cfg)
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))

    def forward(self, images, ids):
        img = F.normalize(self.visual(images), dim=-1)
        txt = F.normalize(self.text(ids), dim=-1)
        logit_scale = self.logit_scale.exp()
        return logit_scale * img @ txt.t(), logit_scale


def clip_loss(logits):
    labels = torch.arange(logits.shape[0])
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels))


def load_pretrained(model):
    # stands in for torch.load(...): a converged checkpoint whose temperature sits at the cap
    state = model.state_dict()
    state["logit_scale"] = torch.tensor(4.6052)
    model.load_state_dict(state)


def param_groups(model, wd):
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n
    decay = [p for n, p in model.named_parameters() if not exclude(n, p) and p.requires_grad]
    no_decay = [p for n, p in model.named_parameters() if exclude(n, p) and p.requires_grad]
    return [{"params": no_decay, "weight_decay": 0.0}, {"params": decay, "weight_decay": wd}]


def make_pairs(n, cfg, seed):
    g = torch.Generator().manual_seed(seed)
    concepts = torch.randint(0, 256, (n,), generator=g)
    proto = torch.randn(256, cfg["img_dim"], generator=g)
    images = proto[concepts] + 0.3 * torch.randn(n, cfg["img_dim"], generator=g)
    word_of = torch.randint(0, cfg["vocab"], (256, 3), generator=g)
    ids = torch.randint(0, cfg["vocab"], (n, cfg["txt_len"]), generator=g)
    ids[:, :3] = word_of[concepts]
    return TensorDataset(images, ids)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    model = DualEncoder(CFG)
    load_pretrained(model)
    loader = DataLoader(make_pairs(2048, CFG, seed=3), batch_size=args.batch_size, shuffle=True, drop_last=True)
    optimizer = torch.optim.AdamW(param_groups(model, CFG["wd"]), lr=CFG["lr"], betas=(0.9, 0.98), eps=1e-6)
    total_steps = args.epochs * len(loader)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / CFG["warmup"]) * 0.5 * (1 + math.cos(math.pi * s / total_steps)))

    step = 0
    for epoch in range(args.epochs):
        model.train()
        running = 0.0
        for images, ids in loader:
            logits, scale = model(images, ids)
            loss = clip_loss(logits)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            sched.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            running += loss.item()
            step += 1
        print(f"epoch {epoch}  loss {running / len(loader):.4f}  logit_scale {model.logit_scale.item():.5f} "
              f"(temperature {1 / scale.item():.4f})")


if __name__ == "__main__":
    main()
