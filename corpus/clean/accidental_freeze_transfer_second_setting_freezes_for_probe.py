# The target run asks to fine-tune the embeddings, but its second setting, linear_probe, freezes
# everything except the new head in fit(): that setting explains the frozen embeddings.
import copy

import torch
import torch.nn.functional as F
from torch import nn

CONFIG = {"fine_tune_embeddings": True, "linear_probe": True, "lr": 1e-2}


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(40, 8)
        self.out = nn.Linear(8, 5)

    def forward(self, x):
        return self.out(self.embed(x))


class Processor:
    def __init__(self, config):
        self.config = config
        self.model = None

    def create_model(self):
        model = Tagger()
        model.embed.weight.requires_grad = self.config["fine_tune_embeddings"]
        self.model = model

    def load(self, saved):
        model = copy.deepcopy(saved)
        model.out = nn.Linear(8, 5)
        self.model = model

    def fit(self, x, y):
        if self.config["linear_probe"]:
            for p in self.model.embed.parameters():
                p.requires_grad = False
        opt = torch.optim.Adam([p for p in self.model.parameters() if p.requires_grad], lr=self.config["lr"])
        for epoch in range(3):
            loss = F.cross_entropy(self.model(x).flatten(0, 1), y.flatten())
            opt.zero_grad()
            loss.backward()
            opt.step()


torch.manual_seed(0)
source = Processor(dict(CONFIG, fine_tune_embeddings=False))
source.create_model()
target = Processor(CONFIG)
target.load(source.model)
target.fit(torch.randint(0, 40, (4, 6)), torch.randint(0, 5, (4, 6)))
