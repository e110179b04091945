"""A fixed random extractor runs in the Dataset under no_grad, and the optimizer is built over what
requires grad: that part is frozen on purpose. But the training loop also runs `model.proj` under
no_grad, binding its output, and `proj` is meant to train: it never changes. The extractor's
excuse must not cover it (from an outside review); gradfix reports it without a fix."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.extractor = nn.Linear(16, 8)  # fixed random features
        self.proj = nn.Linear(8, 8)
        self.head = nn.Linear(8, 3)


class Feats(Dataset):
    def __init__(self, extractor):
        self.extractor = extractor
        self.x = torch.randn(64, 16)
        self.y = torch.randint(0, 3, (64,))

    def __len__(self):
        return 64

    def __getitem__(self, i):
        with torch.no_grad():
            f = self.extractor(self.x[i])
        return f, self.y[i]


model = Model()
loader = DataLoader(Feats(model.extractor), batch_size=16)
opt = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-2)
for epoch in range(3):
    for f, y in loader:
        with torch.no_grad():
            h = model.proj(f)  # bug: proj is meant to train
        loss = F.cross_entropy(model.head(h), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, loss.item())
