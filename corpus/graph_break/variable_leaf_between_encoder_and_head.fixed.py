# Sentence-pair similarity: the pooled features were turned into a Variable "so the head can be
# trained on them" (a leftover from a feature-attribution experiment).
import torch
import torch.nn as nn
from torch.autograd import Variable


class PairScorer(nn.Module):
    def __init__(self, vocab=150, dim=20):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.encoder = nn.Sequential(nn.Linear(dim, dim), nn.Tanh())
        self.head = nn.Bilinear(dim, dim, 1)

    def encode(self, tokens):
        pooled = self.encoder(self.embed(tokens)).mean(dim=1)
        return pooled

    def forward(self, left, right):
        return self.head(self.encode(left), self.encode(right)).squeeze(-1)


torch.manual_seed(0)
left = torch.randint(0, 150, (128, 8))
right = torch.where(torch.rand(128, 8) < 0.5, left, torch.randint(0, 150, (128, 8)))
same = (left == right).float().mean(1)
model = PairScorer()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(5):
    for i in range(0, 128, 32):
        loss = nn.functional.mse_loss(torch.sigmoid(model(left[i:i + 32], right[i:i + 32])), same[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: mse {loss.item():.4f}")
