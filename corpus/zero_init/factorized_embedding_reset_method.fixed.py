# A factorized embedding (vocab -> rank -> dim) whose reset method zeroes both factors with
# .data.zero_(): every lookup is zero and neither factor ever gets a gradient.
import torch
import torch.nn as nn


class FactorizedEmbedding(nn.Module):
    def __init__(self, vocab, rank, dim):
        super().__init__()
        self.codes = nn.Parameter(torch.empty(vocab, rank))
        self.proj = nn.Parameter(torch.empty(rank, dim))
        self.reset_parameters()

    def reset_parameters(self):
        nn.init.kaiming_uniform_(self.codes, a=5 ** 0.5)
        self.proj.data.zero_()

    def forward(self, ids):
        return self.codes[ids] @ self.proj


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = FactorizedEmbedding(100, 8, 32)
        self.out = nn.Linear(32, 2)

    def forward(self, ids):
        return self.out(self.embed(ids).mean(1))


model = BagClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
ids = torch.randint(0, 100, (64, 12))
labels = (ids < 50).float().mean(1).gt(0.5).long()
for step in range(25):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(ids), labels)
    loss.backward()
    optimizer.step()
