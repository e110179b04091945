import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
N_ENTITIES, N_RELATIONS, RANK = 300, 8, 16


class TransE(nn.Module):
    def __init__(self):
        super().__init__()
        self.entities = nn.Embedding(N_ENTITIES, RANK, sparse=True)
        self.relations = nn.Embedding(N_RELATIONS, RANK, sparse=True)

    def forward(self, heads, rels, tails):
        return (self.entities(heads) + self.relations(rels) - self.entities(tails)).norm(p=1, dim=1)


triples = torch.stack([
    torch.randint(0, N_ENTITIES, (2000,)),
    torch.randint(0, N_RELATIONS, (2000,)),
    torch.randint(0, N_ENTITIES, (2000,)),
], dim=1)
model = TransE()
# plain SGD (with momentum, without weight decay) takes sparse gradients
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

for epoch in range(3):
    for batch in triples.split(200):
        h, r, t = batch.unbind(1)
        corrupted = torch.randint(0, N_ENTITIES, t.shape)
        loss = F.relu(1.0 + model(h, r, t) - model(h, r, corrupted)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: margin loss {loss.item():.4f}")
