# Word-vector similarity tuner: the only parameters are GloVe-style vectors loaded with
# from_pretrained(..., freeze=True); the optimizer is given them all, and backward() crashes.
import torch
from torch import nn

torch.manual_seed(0)
VOCAB, DIM = 50, 12


class PairScorer(nn.Module):
    def __init__(self, vectors):
        super().__init__()
        self.vectors = nn.Embedding.from_pretrained(vectors, freeze=True)

    def forward(self, left, right):
        return torch.cosine_similarity(self.vectors(left), self.vectors(right), dim=-1)


scorer = PairScorer(torch.randn(VOCAB, DIM))
optimizer = torch.optim.SGD(scorer.parameters(), lr=0.1)
left = torch.randint(0, VOCAB, (32,))
right = torch.randint(0, VOCAB, (32,))
target = torch.rand(32) * 2 - 1
for step in range(5):
    loss = ((scorer(left, right) - target) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
