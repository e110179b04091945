# Multi-label tagging: a metric helper and a loss helper, both decorated the same way.
import torch
import torch.nn as nn
import torch.nn.functional as F


@torch.autograd.no_grad()
def f1_score(logits, targets, threshold=0.5):
    pred = (torch.sigmoid(logits) > threshold).float()
    tp = (pred * targets).sum()
    return (2 * tp / (pred.sum() + targets.sum() + 1e-8)).item()


def weighted_bce(logits, targets, pos_weight):
    return F.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight)


class Tagger(nn.Module):
    def __init__(self, vocab=200, dim=24, tags=6):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.proj = nn.Linear(dim, tags)

    def forward(self, tokens):
        return self.proj(self.embed(tokens))


torch.manual_seed(0)
tokens = torch.randint(0, 200, (240, 12))
targets = torch.stack([(tokens % (k + 2) == 0).any(1) for k in range(6)], 1).float()
pos_weight = (len(targets) - targets.sum(0)) / targets.sum(0).clamp(min=1.0)

model = Tagger()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(4):
    for i in range(0, 240, 60):
        logits = model(tokens[i:i + 60])
        loss = weighted_bce(logits, targets[i:i + 60], pos_weight)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f} f1 {f1_score(logits, targets[i:i + 60]):.3f}")
