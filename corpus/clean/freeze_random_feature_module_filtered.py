# Correct: a random-feature baseline. The feature module (a random lookup and a random projection,
# nothing loaded) is frozen as a whole, and the optimizer takes only what requires grad.
import torch
import torch.nn as nn
import torch.nn.functional as F


class RandomFeatures(nn.Module):
    def __init__(self, vocab=100, dim=16, width=64):
        super().__init__()
        self.lookup = nn.Embedding(vocab, dim)
        self.projection = nn.Linear(dim, width)

    def forward(self, tokens):
        return torch.cos(self.projection(self.lookup(tokens))).mean(1)


torch.manual_seed(0)
features = RandomFeatures()
for p in features.parameters():
    p.requires_grad = False
readout = nn.Linear(64, 2)
model = nn.Sequential(features, readout)
optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1)
for step in range(20):
    tokens = torch.randint(0, 100, (32, 8))
    loss = F.cross_entropy(model(tokens), (tokens[:, 0] < 50).long())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
