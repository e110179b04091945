# Two-stage tabular model: embeddings come from a helper that returns `.data`, then are made an
# nn.Parameter before the head. The head trains; the encoder does not.
import torch
import torch.nn as nn

torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(12, 24), nn.ReLU(), nn.Linear(24, 6))
head = nn.Linear(6, 2)
optimizer = torch.optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=1e-2)


def embed(batch):
    return encoder(batch)


x = torch.randn(200, 12)
y = (x[:, 0] * x[:, 1] > 0).long()
for epoch in range(5):
    for xb, yb in zip(x.split(40), y.split(40)):
        z = embed(xb)
        loss = nn.functional.cross_entropy(head(z), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
