# Bag-of-items classifier over pre-computed item vectors: EmbeddingBag.from_pretrained freezes by
# default, the model has nothing else, and the first backward() crashes.
import argparse

import torch
import torch.nn.functional as F
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.05)
args = parser.parse_args()

torch.manual_seed(0)
item_vectors = torch.randn(40, 3)
bag = nn.EmbeddingBag.from_pretrained(item_vectors, mode="sum", freeze=False)
opt = torch.optim.Adam(bag.parameters(), lr=args.lr)

items = torch.randint(0, 40, (24,))
offsets = torch.arange(0, 24, 3)
labels = torch.randint(0, 3, (8,))
for epoch in range(4):
    logits = bag(items, offsets)
    loss = F.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
