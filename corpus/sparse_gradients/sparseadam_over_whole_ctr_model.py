"""Click-through prediction: hashed feature tables with sparse gradients, and one SparseAdam over
the whole model, MLP included; the MLP's gradients are dense."""
import torch
import torch.nn as nn
import torch.optim as optim

FIELDS, BUCKETS, DIM = 4, 64, 8


class WideDeep(nn.Module):
    def __init__(self):
        super().__init__()
        self.tables = nn.EmbeddingBag(FIELDS * BUCKETS, DIM, mode="sum", sparse=True)
        self.mlp = nn.Sequential(nn.Linear(DIM, 16), nn.ReLU(), nn.Linear(16, 1))

    def forward(self, ids, offsets):
        return self.mlp(self.tables(ids, offsets)).squeeze(1)


def batches(n, size):
    for _ in range(n):
        ids = torch.randint(0, FIELDS * BUCKETS, (size * FIELDS,))
        offsets = torch.arange(0, size * FIELDS, FIELDS)
        clicks = (ids.view(size, FIELDS).sum(1) % 3 == 0).float()
        yield ids, offsets, clicks


torch.manual_seed(0)
model = WideDeep()
optimizer = optim.SparseAdam(model.parameters(), lr=5e-3)
loss_fn = nn.BCEWithLogitsLoss()
for epoch in range(3):
    for ids, offsets, clicks in batches(5, 32):
        loss = loss_fn(model(ids, offsets), clicks)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
