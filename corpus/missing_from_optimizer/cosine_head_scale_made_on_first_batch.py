# Few-shot style cosine classifier on precomputed embeddings. The head's class weights come from
# __init__, but its logit scale is created on the first batch (from the spread of the cosines),
# after the optimizer was built from the head's parameters as they were then.
import torch
import torch.nn as nn
import torch.nn.functional as F


class CosineHead(nn.Module):
    def __init__(self, dim, n_classes):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_classes, dim) * 0.1)

    def forward(self, emb):
        cos = F.normalize(emb, dim=1) @ F.normalize(self.weight, dim=1).t()
        if "scale" not in self._parameters:
            self.scale = nn.Parameter(1.0 / cos.detach().std())
        return self.scale * cos


class Classifier(nn.Module):
    def __init__(self, dim=64, n_classes=10):
        super().__init__()
        self.adapter = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.head = CosineHead(dim, n_classes)

    def forward(self, x):
        return self.head(x + self.adapter(x))


torch.manual_seed(3)
prototypes = torch.randn(10, 64)
targets = torch.randint(0, 10, (1000,))
feats = prototypes[targets] + 0.9 * torch.randn(1000, 64)

clf = Classifier()
optimizer = torch.optim.SGD(clf.parameters(), lr=0.1, momentum=0.9, nesterov=True)
batch_size = 50
for epoch in range(3):
    perm = torch.randperm(len(feats))
    for i in range(0, len(feats), batch_size):
        idx = perm[i:i + batch_size]
        xb, yb = feats[idx], targets[idx]
        loss = F.cross_entropy(clf(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.3f}")
