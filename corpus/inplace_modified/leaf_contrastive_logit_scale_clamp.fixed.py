"""CLIP-style contrastive training of two small encoders on paired synthetic views."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class DualEncoder(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.image = nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.Linear(64, dim))
        self.text = nn.Sequential(nn.Embedding(50, 64), nn.Flatten(), nn.Linear(4 * 64, dim))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, images, tokens):
        with torch.no_grad():
            self.logit_scale.clamp_(0, math.log(100))
        img = F.normalize(self.image(images), dim=-1)
        txt = F.normalize(self.text(tokens), dim=-1)
        return self.logit_scale.exp() * img @ txt.t()


def pairs(n):
    tokens = torch.randint(0, 50, (n, 4))
    images = torch.zeros(n, 32)
    images.scatter_(1, tokens % 32, 1.0)
    return images + 0.1 * torch.randn(n, 32), tokens


model = DualEncoder()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
for step in range(40):
    images, tokens = pairs(32)
    logits = model(images, tokens)
    target = torch.arange(32)
    loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0:
        print(step, round(loss.item(), 4))
