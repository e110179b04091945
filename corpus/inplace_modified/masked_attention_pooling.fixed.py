# Sentence classifier: embeddings pooled by a learned attention over the valid tokens only.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, PAD = 100, 0


class AttentionPool(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.score = nn.Linear(dim, 1, bias=False)  # a shared shift cancels in the softmax

    def forward(self, h, mask):
        scores = self.score(h).squeeze(-1)
        e = torch.exp(scores - scores.max(dim=1, keepdim=True).values)
        e = e.masked_fill(~mask, 0.0)  # padding gets no weight
        weights = e / e.sum(dim=1, keepdim=True)
        return (weights.unsqueeze(-1) * h).sum(dim=1)


class Classifier(nn.Module):
    def __init__(self, dim=16, classes=3):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, dim, padding_idx=PAD)
        self.pool = AttentionPool(dim)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.out(self.pool(self.embed(tokens), tokens != PAD))


tokens = torch.randint(1, VOCAB, (32, 12))
tokens[:, 8:] = PAD
labels = torch.randint(0, 3, (32,))
model = Classifier()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for step in range(10):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(tokens), labels)
    loss.backward()
    optimizer.step()
print("final loss", loss.item())
