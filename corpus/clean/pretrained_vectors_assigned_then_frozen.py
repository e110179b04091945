"""Pretrained vectors put into the model as a new nn.Parameter, then frozen. Correct: the
values are given, not the layer's random initialisation."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Tagger(nn.Module):
    def __init__(self, vocab, dim, n_tags):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, 32, batch_first=True)
        self.out = nn.Linear(32, n_tags)

    def forward(self, t):
        return self.out(self.lstm(self.embed(t))[0])


torch.manual_seed(0)
word2vec = torch.randn(300, 40)  # stand-in for vectors read from disk
model = Tagger(300, 40, 7)
model.embed.weight = nn.Parameter(word2vec)
model.embed.weight.requires_grad = False
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(6):
    t, tags = torch.randint(0, 300, (8, 15)), torch.randint(0, 7, (8, 15))
    loss = F.cross_entropy(model(t).reshape(-1, 7), tags.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item())
