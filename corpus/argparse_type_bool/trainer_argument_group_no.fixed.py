"""An image classifier trainer whose options come in argument groups; the backbone was pretrained
and the run asks to fine-tune it (`--freeze-backbone no`)."""
import argparse

import torch
import torch.nn as nn


def make_parser():
    parser = argparse.ArgumentParser(description="classifier")
    optim = parser.add_argument_group("optimisation")
    optim.add_argument("--lr", type=float, default=0.01)
    optim.add_argument("--steps", type=int, default=12)
    model = parser.add_argument_group("model")
    model.add_argument("--freeze-backbone", dest="freeze_backbone", type=lambda s: s.lower() in ("true", "1", "yes", "y", "on"), default=True)
    model.add_argument("--width", type=int, default=8)
    return parser


class Net(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        return self.head(self.backbone(x))


class Trainer:
    def __init__(self, args):
        self.args = args
        self.net = Net(args.width)
        self.net.backbone.load_state_dict(Net(args.width).backbone.state_dict())  # the ImageNet weights, in the real run
        for name, p in self.net.named_parameters():
            if name.startswith("backbone.") and self.args.freeze_backbone:
                p.requires_grad = False
        self.opt = torch.optim.SGD(filter(lambda p: p.requires_grad, self.net.parameters()), lr=args.lr, momentum=0.9)
        self.loss_fn = nn.CrossEntropyLoss()

    def train_step(self, x, y):
        self.opt.zero_grad()
        loss = self.loss_fn(self.net(x), y)
        loss.backward()
        self.opt.step()
        return loss.item()

    def fit(self):
        for _ in range(self.args.steps):
            self.train_step(torch.randn(4, 3, 16, 16), torch.randint(0, 10, (4,)))


if __name__ == "__main__":
    args, _unknown = make_parser().parse_known_args(["--freeze-backbone", "no", "--lr", "0.05"])
    Trainer(args).fit()
