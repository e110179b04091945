"""Sequence classifier that prunes uninformative tokens before pooling (dynamic token pruning)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TokenPruner(nn.Module):
    def __init__(self, dim, keep_ratio=0.5):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(dim, dim // 2), nn.GELU(), nn.Linear(dim // 2, 1))
        self.keep_ratio = keep_ratio

    def forward(self, tokens):
        scores = self.score(tokens).squeeze(-1)
        threshold = scores.quantile(1 - self.keep_ratio, dim=1, keepdim=True)
        keep = torch.gt(scores, threshold)
        return tokens * keep.unsqueeze(-1)


class PrunedClassifier(nn.Module):
    def __init__(self, vocab=100, dim=32, n_cls=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mix = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=64, batch_first=True)
        self.pruner = TokenPruner(dim)
        self.out = nn.Linear(dim, n_cls)

    def forward(self, ids):
        h = self.mix(self.embed(ids))
        return self.out(self.pruner(h).mean(dim=1))


torch.manual_seed(0)
ids = torch.randint(0, 100, (256, 20))
labels = (ids[:, :5] % 4).mode(dim=1).values
model = PrunedClassifier()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(3):
    for i in range(0, 256, 32):
        logits = model(ids[i:i + 32])
        loss = F.cross_entropy(logits, labels[i:i + 32])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
