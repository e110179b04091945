# Sequence tagger: a bidirectional GRU over token embeddings, one label per token.
import torch
from torch import nn
from torch.nn import utils as nn_utils

VOCAB, TAGS = 200, 5

torch.manual_seed(2)
tokens = torch.randint(0, VOCAB, (64, 12))
tags = (tokens % TAGS)


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 24)
        self.gru = nn.GRU(24, 32, batch_first=True, bidirectional=True)
        self.out = nn.Linear(64, TAGS)

    def forward(self, x):
        h, _ = self.gru(self.embed(x))
        return self.out(h)


tagger = Tagger()
opt = torch.optim.Adam(tagger.parameters(), lr=2e-3)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(4):
    for i in range(0, 64, 16):
        logits = tagger(tokens[i:i + 16])
        loss = loss_fn(logits.reshape(-1, TAGS), tags[i:i + 16].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, round(loss.item(), 4))
