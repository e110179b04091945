"""A detector head trained on a frozen pretrained backbone; `--finetune_backbone` is a store_true
flag the run does not give (it says "--no_aug False" as well, a string for a str option)."""
import argparse

import torch
import torch.nn as nn


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU())
        self.box_head = nn.Conv2d(8, 4, 1)

    def forward(self, x):
        return self.box_head(self.backbone(x))


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--finetune_backbone", action="store_true")
    parser.add_argument("--no_aug", type=str, default="True")
    args = parser.parse_args(argv)
    model = Detector()
    model.backbone.load_state_dict(Detector().backbone.state_dict())
    model.backbone.requires_grad_(args.finetune_backbone)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    for _ in range(8):
        images, boxes = torch.randn(2, 3, 16, 16), torch.randn(2, 4, 8, 8)
        loss = nn.functional.smooth_l1_loss(model(images), boxes)
        opt.zero_grad()
        loss.backward()
        opt.step()


main(["--no_aug", "False"])
