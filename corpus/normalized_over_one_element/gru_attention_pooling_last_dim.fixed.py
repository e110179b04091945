# Additive attention pooling over GRU states for sequence classification. The scores have shape
# (batch, time, 1) and the softmax is taken over the last dimension, which has size 1: every
# weight is 1.0, the pooling is a plain sum, and the attention layers never learn.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class AttentionPool(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.proj = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)

    def forward(self, states):
        scores = self.v(torch.tanh(self.proj(states)))
        alpha = F.softmax(scores, dim=1)
        return (alpha * states).sum(dim=1)


class SequenceClassifier(nn.Module):
    def __init__(self, n_features=6, hidden=24, n_classes=3):
        super().__init__()
        self.rnn = nn.GRU(n_features, hidden, batch_first=True)
        self.pool = AttentionPool(hidden)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x):
        states, _ = self.rnn(x)
        return self.out(self.pool(states))


def batches(n=320, length=15, size=32):
    x = torch.randn(n, length, 6)
    y = (x[:, :, 0].max(dim=1).values > 1.5).long() + (x[:, :, 1].mean(dim=1) > 0).long()
    for i in range(0, n, size):
        yield x[i:i + size], y[i:i + size]


net = SequenceClassifier()
optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
for epoch in range(4):
    for x, y in batches():
        loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
