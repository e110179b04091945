# Reproduction modelled on: https://github.com/fastai/fastai/issues/2133
# FIXED VERSION: unfreeze() re-creates the optimizer so the newly trainable body parameters are in it.
# sgugger: "the optimizer needs to be created again because at creation, it only takes
# trainable parameters. After a freeze/unfreeze those change so it needs to be adjusted."
# This Learner builds its optimizer from the trainable parameters while the body is frozen;
# unfreeze() flips requires_grad but does not call create_opt(), so the second
# (fine-tuning) stage keeps the old optimizer and the body is never updated.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

defaults = {"lr": 3e-3, "wd": 0.0}


def requires_grad(m, b):
    for p in m.parameters():
        p.requires_grad_(b)


def create_body(in_ch=3):
    return nn.Sequential(nn.Conv2d(in_ch, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def create_head(nf, n_out):
    return nn.Sequential(nn.Linear(nf, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, n_out))


class Learner:
    def __init__(self, data, model, loss_func=F.cross_entropy, opt_func=torch.optim.Adam):
        self.data, self.model, self.loss_func, self.opt_func = data, model, loss_func, opt_func
        self.layer_groups = [model[0], model[1]]
        self.opt = None

    def create_opt(self, lr, wd=0.0):
        params = [p for g in self.layer_groups for p in g.parameters() if p.requires_grad]
        self.opt = self.opt_func(params, lr=lr, weight_decay=wd)

    def freeze_to(self, n):
        for g in self.layer_groups[:n]:
            requires_grad(g, False)
        for g in self.layer_groups[n:]:
            requires_grad(g, True)
        self.create_opt(defaults["lr"])

    def freeze(self):
        "Freeze up to last layer group."
        self.freeze_to(-1)

    def unfreeze(self):
        "Unfreeze entire model."
        for g in self.layer_groups:
            requires_grad(g, True)
        self.create_opt(defaults["lr"])

    def fit_one_cycle(self, epochs, max_lr):
        if self.opt is None:
            self.create_opt(max_lr)
        n = epochs * len(self.data)
        step = 0
        for epoch in range(epochs):
            self.model.train()
            tot = 0.0
            for xb, yb in self.data:
                pct = step / max(n - 1, 1)
                lr = max_lr * (0.1 + 0.9 * (1 - abs(2 * pct - 1)))
                for pg in self.opt.param_groups:
                    pg["lr"] = lr
                loss = self.loss_func(self.model(xb), yb)
                loss.backward()
                self.opt.step()
                self.opt.zero_grad()
                tot += loss.item()
                step += 1
            print(f"epoch {epoch}: train_loss {tot / len(self.data):.4f}")


def make_data(n=96, bs=16):
    x = torch.randn(n, 3, 8, 8)
    y = (x[:, 0].mean((1, 2)) > x[:, 1].mean((1, 2))).long()
    return [(x[i:i + bs].to(device), y[i:i + bs].to(device)) for i in range(0, n, bs)]


model = nn.Sequential(create_body(), create_head(32, 2)).to(device)
learn = Learner(make_data(), model)
learn.freeze()                       # stage 1: train the head only
learn.fit_one_cycle(2, max_lr=3e-3)
learn.unfreeze()                     # stage 2: fine-tune everything with discriminative lr
learn.fit_one_cycle(2, max_lr=1e-3)
