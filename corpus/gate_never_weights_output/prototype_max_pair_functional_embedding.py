"""Few-shot classifier: each query is matched to its most similar prototype, and the prototype's
label vector (a table of its own) is read with F.embedding to make the prediction."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
FEATURES, PROTOTYPES, CLASSES = 10, 6, 3


class PrototypeReader(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(FEATURES, 16), nn.ReLU(), nn.Linear(16, 8))
        self.prototypes = nn.Parameter(torch.randn(PROTOTYPES, 8))
        self.label_table = nn.Parameter(torch.randn(PROTOTYPES, CLASSES))

    def forward(self, x):
        similarity = self.encoder(x) @ self.prototypes.t()
        _, nearest = similarity.max(dim=1)
        return F.embedding(nearest, self.label_table)


def batch(n=48):
    x = torch.randn(n, FEATURES)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


reader = PrototypeReader()
opt = torch.optim.SGD(reader.parameters(), lr=0.1)
for epoch in range(10):
    x, y = batch()
    loss = F.cross_entropy(reader(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"loss {loss.item():.3f}")
