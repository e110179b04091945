"""The collate function embeds token ids with a fixed random embedding table (hashing-style
features) under no_grad; the optimizer holds only the model."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

table = nn.Embedding(30, 12)


def embed_batch(batch):
    ids = torch.stack([item[0] for item in batch])
    labels = torch.stack([item[1] for item in batch])
    with torch.no_grad():
        vectors = table(ids).mean(dim=1)
    return vectors, labels


ids = torch.randint(0, 30, (48, 6))
labels = (ids[:, 0] > 15).long()
model = nn.Sequential(nn.Linear(12, 24), nn.ReLU(), nn.Linear(24, 2))
loader = DataLoader(TensorDataset(ids, labels), batch_size=8, collate_fn=embed_batch)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(2):
    for vectors, target in loader:
        loss = nn.functional.cross_entropy(model(vectors), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
