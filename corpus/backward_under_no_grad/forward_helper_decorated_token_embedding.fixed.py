"""Sentiment of synthetic token sequences: token and position embeddings, a GRU, a linear head.
The embedding lookup lives in its own method, decorated as if it were inference-only."""
import torch as T
from torch import nn

VOCAB, LENGTH = 50, 12


class SentimentNet(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, dim)
        self.positions = nn.Embedding(LENGTH, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.head = nn.Linear(dim, 2)

    def embed(self, ids):
        where = T.arange(ids.shape[1]).expand_as(ids)
        return self.tokens(ids) + self.positions(where)

    def forward(self, ids):
        _, last = self.rnn(self.embed(ids))
        return self.head(last[-1])


def batch(n=64):
    ids = T.randint(1, VOCAB, (n, LENGTH))
    labels = (ids < VOCAB // 2).float().mean(1).gt(0.5).long()
    return ids, labels


net = SentimentNet()
opt = T.optim.AdamW(net.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()
for step in range(200):
    ids, labels = batch()
    loss = criterion(net(ids), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 50 == 0:
        print(step, round(loss.item(), 4))
