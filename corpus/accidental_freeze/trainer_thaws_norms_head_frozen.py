# A trainer that adapts a loaded encoder by its LayerNorms and a fresh classifier: it freezes the
# whole model, thaws the norms, and hands the classifier (frozen with the rest) to AdamW.
import copy

import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.embed = nn.Linear(8, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.mix = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.classifier = nn.Linear(dim, 4)

    def forward(self, x):
        h = self.norm1(torch.tanh(self.embed(x)))
        h = self.norm2(h + torch.tanh(self.mix(h)))
        return self.classifier(h)


class Adapter:
    def __init__(self, model, lr=1e-2):
        self.model = model
        self.model.requires_grad_(False)
        for module in self.model.modules():
            if isinstance(module, nn.LayerNorm):
                module.requires_grad_(True)
        self.optimizer = torch.optim.AdamW(self.model.classifier.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    def train_step(self, x, y):
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return loss.item()


pretrained = Encoder()
encoder = copy.deepcopy(pretrained)
encoder.load_state_dict(pretrained.state_dict())
adapter = Adapter(encoder)
data, target = torch.randn(96, 8), torch.randint(0, 4, (96,))
for epoch in range(6):
    for start in range(0, 96, 24):
        adapter.train_step(data[start : start + 24], target[start : start + 24])
