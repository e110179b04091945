# Correct: the embedding module holds pretrained vectors (given through _weight) and a fresh
# per-token MLP; only the lookup table is frozen, and the MLP trains with the rest.
import torch
import torch.nn as nn
import torch.nn.functional as F


class TokenEmbedding(nn.Module):
    def __init__(self, vectors):
        super().__init__()
        self.lookup = nn.Embedding(vectors.shape[0], vectors.shape[1], _weight=vectors)
        self.mlp = nn.Sequential(nn.Linear(vectors.shape[1], 32), nn.ReLU())

    def forward(self, tokens):
        return self.mlp(self.lookup(tokens))


torch.manual_seed(0)
embedding = TokenEmbedding(torch.randn(80, 16))
for param in embedding.lookup.parameters():
    param.requires_grad = False
model = nn.ModuleDict({"embedding": embedding, "out": nn.Linear(32, 3)})
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=3e-3)
for step in range(20):
    tokens = torch.randint(0, 80, (16, 10))
    loss = F.cross_entropy(model["out"](model["embedding"](tokens).mean(1)), tokens[:, 0] % 3)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
