# A speaker-embedding trainer: new_model() leaves the encoder's projection trainable only when
# --finetune-encoder is given; adapt() takes a model pre-trained by a run without the flag and
# copies it, so the projection keeps that run's freeze although this run asked to fine-tune.
import argparse
import copy

import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--finetune-encoder", action="store_true")
parser.add_argument("--lr", type=float, default=0.05)


class SpeakerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(20, 8)
        self.classifier = nn.Linear(8, 3)

    def forward(self, x):
        return self.classifier(torch.relu(self.encoder(x)))


class Session:
    def __init__(self, args):
        self.args = args

    def new_model(self):
        net = SpeakerNet()
        net.encoder.weight.requires_grad = self.args.finetune_encoder
        self.net = net

    def adapt(self, pretrained):
        self.net = copy.deepcopy(pretrained)

    def run(self, x, y):
        opt = torch.optim.SGD((p for p in self.net.parameters() if p.requires_grad), lr=self.args.lr)
        for step in range(4):
            loss = nn.functional.cross_entropy(self.net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()


torch.manual_seed(0)
pretraining = Session(parser.parse_args([]))
pretraining.new_model()
session = Session(parser.parse_args(["--finetune-encoder"]))
session.adapt(pretraining.net)
session.run(torch.randn(16, 20), torch.randint(0, 3, (16,)))
