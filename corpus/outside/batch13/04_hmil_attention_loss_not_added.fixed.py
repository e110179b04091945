# Reproduction modelled on: https://github.com/ChengJin-git/HMIL/issues/4
# FIXED VERSION: loss_attention is added to the back-propagated loss.
# "in your trainer.py, loss_attention = compute_attention_matching_loss(...), but loss_attention
# only applied in metrics.metrics['loss_attention'] += loss_attention.data.cpu().numpy()" --
# the attention-matching loss is computed and logged but never added to the loss that is
# back-propagated, so the module that only this loss trains (the fine->coarse attention
# aligner) never receives a gradient.
from collections import defaultdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

cfg = {"in_dim": 32, "hid": 24, "n_coarse": 2, "n_fine": 4, "lambda_attn": 0.5,
       "lr": 2e-3, "epochs": 3, "bags_per_epoch": 12, "patches": 20}


class GatedAttention(nn.Module):
    def __init__(self, dim, hid):
        super().__init__()
        self.a = nn.Linear(dim, hid)
        self.b = nn.Linear(dim, hid)
        self.w = nn.Linear(hid, 1)

    def forward(self, h):                               # h: (N, dim)
        scores = self.w(torch.tanh(self.a(h)) * torch.sigmoid(self.b(h))).squeeze(-1)
        return torch.softmax(scores, dim=0)            # (N,)


class HierarchicalMIL(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(c["in_dim"], c["hid"]), nn.ReLU())
        self.attn_coarse = GatedAttention(c["hid"], c["hid"])
        self.attn_fine = GatedAttention(c["hid"], c["hid"])
        self.cls_coarse = nn.Linear(c["hid"], c["n_coarse"])
        self.cls_fine = nn.Linear(c["hid"], c["n_fine"])
        # maps fine-level attention logits onto the coarse attention space for the
        # hierarchical attention matching loss
        self.attn_align = nn.Linear(1, 1)

    def forward(self, bag):
        h = self.fc(bag)
        a_c = self.attn_coarse(h)
        a_f = self.attn_fine(h)
        z_c = (a_c.unsqueeze(-1) * h).sum(0)
        z_f = (a_f.unsqueeze(-1) * h).sum(0)
        return self.cls_coarse(z_c), self.cls_fine(z_f), a_c, a_f


def compute_attention_matching_loss(model, attn_coarse, attn_fine, c):
    aligned = torch.softmax(model.attn_align(torch.log(attn_fine + 1e-8).unsqueeze(-1)).squeeze(-1), dim=0)
    return F.kl_div(torch.log(aligned + 1e-8), attn_coarse.detach(), reduction="batchmean")


def make_bag(c):
    fine = np.random.randint(c["n_fine"])
    coarse = fine // 2
    x = torch.randn(c["patches"], c["in_dim"])
    x[: c["patches"] // 4, fine] += 2.0
    return x.to(device), torch.tensor([coarse], device=device), torch.tensor([fine], device=device)


class Trainer:
    def __init__(self, model, c):
        self.model, self.cfg = model, c
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=c["lr"], weight_decay=1e-4)

    def train_epoch(self, epoch):
        self.model.train()
        metrics = defaultdict(float)
        for _ in range(self.cfg["bags_per_epoch"]):
            bag, y_c, y_f = make_bag(self.cfg)
            logit_c, logit_f, a_c, a_f = self.model(bag)
            loss = F.cross_entropy(logit_c.unsqueeze(0), y_c) + F.cross_entropy(logit_f.unsqueeze(0), y_f)
            loss_attention = compute_attention_matching_loss(self.model, a_c, a_f, self.cfg)
            metrics["loss_attention"] += loss_attention.data.cpu().numpy()
            loss = loss + self.cfg["lambda_attn"] * loss_attention
            metrics["loss"] += loss.item()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        print(f"epoch {epoch}: " + ", ".join(f"{k}={v / self.cfg['bags_per_epoch']:.4f}" for k, v in metrics.items()))


model = HierarchicalMIL(cfg).to(device)
trainer = Trainer(model, cfg)
for epoch in range(cfg["epochs"]):
    trainer.train_epoch(epoch)
