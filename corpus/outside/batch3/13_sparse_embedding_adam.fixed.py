# Report: https://github.com/pminervini/KGReasoning/issues/2
# Summary: embeddings use sparse=True but are trained with torch.optim.Adam, which raises 'Adam does not support sparse gradients' at step() (crash).
# Fixed: use dense embedding gradients (sparse=False), which torch.optim.Adam supports.
import torch
import torch.nn as nn
import torch.nn.functional as F

N_ENTITIES, N_RELATIONS, RANK = 500, 12, 32


class DistMult(nn.Module):
    def __init__(self, n_entities, n_relations, rank, init_size=1e-3):
        super().__init__()
        self.ent = nn.Embedding(n_entities, rank, sparse=False)
        self.rel = nn.Embedding(n_relations, rank, sparse=False)
        self.ent.weight.data *= init_size
        self.rel.weight.data *= init_size

    def forward(self, heads, rels):
        # score every entity as a candidate tail: (batch, n_entities)
        q = self.ent(heads) * self.rel(rels)
        return q @ self.ent.weight.t()


torch.manual_seed(13)
triples = torch.stack([
    torch.randint(0, N_ENTITIES, (4000,)),
    torch.randint(0, N_RELATIONS, (4000,)),
    torch.randint(0, N_ENTITIES, (4000,)),
], dim=1)

model = DistMult(N_ENTITIES, N_RELATIONS, RANK, init_size=0.1)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for step in range(1, 301):
    batch = triples[torch.randint(0, len(triples), (128,))]
    h, r, t = batch[:, 0], batch[:, 1], batch[:, 2]
    scores = model(h, r)
    loss = F.cross_entropy(scores, t)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
