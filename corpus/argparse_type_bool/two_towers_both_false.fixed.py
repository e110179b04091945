"""A CLIP-style pair of towers, both pretrained; the run fine-tunes both
(`--freeze_text false --freeze_image false`)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class Tower(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_in, 32), nn.Tanh(), nn.Linear(32, d_out))

    def forward(self, x):
        return F.normalize(self.net(x), dim=-1)


class DualEncoder(nn.Module):
    def __init__(self, freeze_text, freeze_image):
        super().__init__()
        self.text = Tower(20, 16)
        self.image = Tower(30, 16)
        self.logit_scale = nn.Parameter(torch.tensor(2.0))
        for tower, frozen in ((self.text, freeze_text), (self.image, freeze_image)):
            tower.load_state_dict(Tower(tower.net[0].in_features, 16).state_dict())
            if frozen:
                for p in tower.parameters():
                    p.requires_grad_(False)

    def forward(self, text, image):
        return self.logit_scale.exp() * self.text(text) @ self.image(image).t()


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--freeze_text", type=lambda s: s.lower() in ("true", "1", "yes", "y", "on"), default=True)
    ap.add_argument("--freeze_image", type=lambda s: s.lower() in ("true", "1", "yes", "y", "on"), default=True)
    return ap.parse_args("--freeze_text false --freeze_image false".split())


args = parse()
model = DualEncoder(args.freeze_text, args.freeze_image)
opt = torch.optim.AdamW((p for p in model.parameters() if p.requires_grad), lr=1e-3)
for step in range(10):
    logits = model(torch.randn(8, 20), torch.randn(8, 30))
    labels = torch.arange(8)
    loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
    opt.zero_grad()
    loss.backward()
    opt.step()
