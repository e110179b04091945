"""Knowledge-graph embeddings (TransE) that look the entity table up with F.embedding on its
weight, asking for a sparse gradient there too, stepped by SparseAdam. Correct: the functional
call's sparse=True gives the sparse gradient SparseAdam needs."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TransE(nn.Module):
    def __init__(self, entities, relations, dim=12):
        super().__init__()
        self.entities = nn.Embedding(entities, dim, sparse=True)
        self.relations = nn.Embedding(relations, dim, sparse=True)

    def score(self, h, r, t):
        e = self.entities.weight
        return (F.embedding(h, e, sparse=True) + self.relations(r) - F.embedding(t, e, sparse=True)).norm(dim=1)

    def forward(self, h, r, t, t_neg):
        return F.relu(1.0 + self.score(h, r, t) - self.score(h, r, t_neg)).mean()


torch.manual_seed(0)
model = TransE(70, 5)
optimizer = torch.optim.SparseAdam(model.parameters(), lr=1e-2)
h = torch.randint(0, 70, (300,))
r = torch.randint(0, 5, (300,))
t = (h + r * 7) % 70
for epoch in range(3):
    for s in range(0, 300, 100):
        loss = model(h[s:s + 100], r[s:s + 100], t[s:s + 100], torch.randint(0, 70, (100,)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
