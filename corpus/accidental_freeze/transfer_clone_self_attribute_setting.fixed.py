# A tagger whose build() freezes the character encoder unless its own attribute says to tune it;
# clone_from() (warm-starting from another tagger) deep-copies that tagger's network and never
# applies this tagger's setting, so the encoder stays frozen as the donor had it.
import copy

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.chars = nn.Embedding(30, 6)
        self.rnn = nn.GRU(6, 8, batch_first=True)
        self.tagger = nn.Linear(8, 4)

    def forward(self, x):
        return self.tagger(self.rnn(self.chars(x))[0])


class Tagger:
    def __init__(self, tune_chars):
        self.tune_chars = tune_chars
        self.net = None

    def build(self):
        self.net = Net()
        self.net.chars.weight.requires_grad = self.tune_chars

    def clone_from(self, donor):
        self.net = copy.deepcopy(donor.net)
        self.net.chars.weight.requires_grad = self.tune_chars

    def train(self, x, y, steps=4):
        optimizer = torch.optim.SGD([p for p in self.net.parameters() if p.requires_grad], lr=0.1)
        for _ in range(steps):
            loss = nn.functional.cross_entropy(self.net(x).flatten(0, 1), y.flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


torch.manual_seed(0)
donor = Tagger(tune_chars=False)
donor.build()
student = Tagger(tune_chars=True)
student.clone_from(donor)
student.train(torch.randint(0, 30, (5, 7)), torch.randint(0, 4, (5, 7)))
