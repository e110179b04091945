"""Prototype retrieval: score the inputs against every prototype, then fetch the best ones, capped in norm."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Retriever(nn.Module):
    def __init__(self, n_protos=20, dim=8, n_classes=3):
        super().__init__()
        self.encoder = nn.Linear(10, dim)
        self.protos = nn.Parameter(torch.randn(n_protos, dim) * 2)
        self.classify = nn.Linear(2 * dim, n_classes)

    def forward(self, x):
        q = self.encoder(x)
        scores = q @ self.protos.t()
        best = scores.argmax(dim=1)
        fetched = F.embedding(best, self.protos, max_norm=1.5)
        return self.classify(torch.cat([q, fetched], dim=1)), scores


model = Retriever()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x, y = torch.randn(128, 10), torch.randint(0, 3, (128,))
for step in range(6):
    logits, scores = model(x)
    loss = F.cross_entropy(logits, y) + 1e-2 * scores.logsumexp(dim=1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 4))
