"""A decoder whose attention caches keys and values only while generating (under no_grad, with
use_cache=True); training runs checkpointed without the cache."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


class Attention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.cache = None

    def forward(self, x, use_cache=False):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        if use_cache:
            if self.cache is not None:
                k, v = torch.cat([self.cache[0], k], 1), torch.cat([self.cache[1], v], 1)
            self.cache = (k, v)
        return x + F.scaled_dot_product_attention(q, k, v, is_causal=not use_cache)


class Decoder(nn.Module):
    def __init__(self, vocab=30, dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(Attention(dim) for _ in range(2))
        self.out = nn.Linear(dim, vocab)

    def forward(self, tokens, use_cache=False):
        h = self.embed(tokens)
        for layer in self.layers:
            h = layer(h, use_cache) if use_cache else checkpoint(layer, h, use_reentrant=False)
        return self.out(h)


torch.manual_seed(0)
model = Decoder()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
data = torch.randint(0, 30, (8, 17))
for step in range(10):
    loss = F.cross_entropy(model(data[:, :-1]).flatten(0, 1), data[:, 1:].flatten())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
with torch.no_grad():
    for layer in model.layers:
        layer.cache = None
    token = data[:1, :1]
    for _ in range(5):
        token = model(token, use_cache=True)[:, -1:].argmax(-1)
print(f"loss {loss.item():.3f}")
