"""Sentence-pair similarity with one projection shared by both sides: `proj_b` is `proj_a` on purpose."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PairScorer(nn.Module):
    def __init__(self, vocab=100, dim=32, share_projection=True):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.proj_a = nn.Linear(dim, dim)
        if share_projection:
            self.proj_b = self.proj_a  # a siamese encoder: one set of weights for both sentences
        else:
            self.proj_b = nn.Linear(dim, dim)

    def forward(self, tokens_a, tokens_b):
        a = self.proj_a(self.embed(tokens_a))
        b = self.proj_a(self.embed(tokens_b))
        return F.cosine_similarity(a, b)


torch.manual_seed(0)
tokens_a = torch.randint(0, 100, (64, 6))
tokens_b = torch.where(torch.rand(64, 6) < 0.7, tokens_a, torch.randint(0, 100, (64, 6)))
same = (tokens_a == tokens_b).float().mean(1)
model = PairScorer()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(20):
    loss = F.mse_loss(model(tokens_a, tokens_b), same)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch}: mse {loss.item():.4f}")
