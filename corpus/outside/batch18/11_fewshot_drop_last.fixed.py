# Defect classifier: pretrain a small CNN on the base classes, then fine-tune a new head (and
# the last conv stage) on a small labelled set of novel defect types. Both stages build their
# loaders with the same make_loader() helper.
#
# Reproduces: https://github.com/RasmussenLab/vamb/pull/425 (Vamb issue 424)
#
# make_loader() always sets drop_last=True (to avoid a tiny last batch). The fine-tuning set has
# 40 images and the batch size is 64, so the fine-tuning DataLoader has length 0. Every
# fine-tuning epoch runs zero iterations: optimizer.step() is never called, novel_head and stage3
# keep their initial weights, and the log prints a loss of 0 and an unchanged validation accuracy.
# Nothing raises an error.
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "img": 16, "base_classes": 6, "novel_classes": 3,
    "n_base": 768, "n_novel_train": 40, "n_novel_val": 60,
    "batch_size": 64, "pretrain_epochs": 3, "finetune_epochs": 8,
    "lr_pretrain": 2e-3, "lr_finetune": 1e-3,
}


def make_split(n, n_classes, seed, img):
    g = torch.Generator().manual_seed(seed)
    protos = torch.randn(n_classes, 1, img, img, generator=torch.Generator().manual_seed(seed // 100))
    y = torch.randint(0, n_classes, (n,), generator=g)
    x = protos[y] + 0.8 * torch.randn(n, 1, img, img, generator=g)
    return TensorDataset(x, y)


def make_loader(dataset, batch_size, train=True):
    # drop the ragged last batch so BatchNorm never sees a tiny batch, but only when there is
    # more than one batch: otherwise the loader would be empty
    return DataLoader(dataset, batch_size=batch_size, shuffle=train, drop_last=train and len(dataset) > batch_size)


def conv_stage(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2))


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stage1 = conv_stage(1, 16)
        self.stage2 = conv_stage(16, 32)
        self.stage3 = conv_stage(32, 32)

    def forward(self, x):
        return self.stage3(self.stage2(self.stage1(x))).mean((2, 3))


def run_epoch(backbone, head, loader, optimizer=None):
    training = optimizer is not None
    backbone.train(training)
    head.train(training)
    total, correct, seen = 0.0, 0, 0
    with torch.set_grad_enabled(training):
        for x, y in loader:
            logits = head(backbone(x))
            loss = F.cross_entropy(logits, y)
            if training:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            seen += len(y)
    return total / max(seen, 1), correct / max(seen, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch-size", type=int, default=CONFIG["batch_size"])
    parser.add_argument("--finetune-epochs", type=int, default=CONFIG["finetune_epochs"])
    args = parser.parse_args()
    torch.manual_seed(0)
    img = CONFIG["img"]

    backbone = Backbone()
    base_head = nn.Linear(32, CONFIG["base_classes"])
    base_loader = make_loader(make_split(CONFIG["n_base"], CONFIG["base_classes"], 101, img), args.batch_size)
    opt = torch.optim.Adam(list(backbone.parameters()) + list(base_head.parameters()), lr=CONFIG["lr_pretrain"])
    for epoch in range(CONFIG["pretrain_epochs"]):
        loss, acc = run_epoch(backbone, base_head, base_loader, opt)
        print(f"[pretrain] epoch {epoch}: loss {loss:.4f} acc {acc:.3f}")

    # ---- fine-tune on the novel defect types: new head, last stage unfrozen ----
    novel_head = nn.Linear(32, CONFIG["novel_classes"])
    backbone.requires_grad_(False)
    backbone.stage3.requires_grad_(True)
    train_loader = make_loader(make_split(CONFIG["n_novel_train"], CONFIG["novel_classes"], 202, img), args.batch_size)
    val_loader = make_loader(make_split(CONFIG["n_novel_val"], CONFIG["novel_classes"], 203, img), args.batch_size, train=False)
    params = [p for p in backbone.parameters() if p.requires_grad] + list(novel_head.parameters())
    opt = torch.optim.Adam(params, lr=CONFIG["lr_finetune"])
    for epoch in range(args.finetune_epochs):
        t0 = time.time()
        tr_loss, tr_acc = run_epoch(backbone, novel_head, train_loader, opt)
        va_loss, va_acc = run_epoch(backbone, novel_head, val_loader)
        print(f"[finetune] epoch {epoch}: train loss {tr_loss:.4f} val loss {va_loss:.4f} "
              f"val acc {va_acc:.3f} ({time.time() - t0:.2f}s)")
    return backbone, novel_head


if __name__ == "__main__":
    backbone, novel_head = main()
