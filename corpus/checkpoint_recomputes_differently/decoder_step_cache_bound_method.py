"""An autoregressive decoder trained with teacher forcing in chunks; its attention keeps the keys
and values of earlier chunks. The whole stack is checkpointed as one bound method."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


class CachedAttention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.kv = nn.Linear(dim, 2 * dim)
        self.q = nn.Linear(dim, dim)
        self.keys = self.values = None

    def reset(self):
        self.keys = self.values = None

    def forward(self, x):
        k, v = self.kv(x).chunk(2, dim=-1)
        if self.keys is not None:
            k, v = torch.cat([self.keys, k], 1), torch.cat([self.values, v], 1)
        self.keys, self.values = k.detach(), v.detach()
        return x + F.scaled_dot_product_attention(self.q(x), k, v)


class Decoder(nn.Module):
    def __init__(self, dim=32, depth=2, vocab=40):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(CachedAttention(dim) for _ in range(depth))
        self.logits = nn.Linear(dim, vocab)

    def _stack(self, h):
        for layer in self.layers:
            h = layer(h)
        return h

    def forward(self, tokens):
        return self.logits(checkpoint(self._stack, self.embed(tokens), use_reentrant=False))


def main():
    torch.manual_seed(0)
    model = Decoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    text = torch.randint(0, 40, (2, 49))
    for epoch in range(2):
        for layer in model.layers:
            layer.reset()
        for start in range(0, 48, 12):
            logits = model(text[:, start : start + 12])
            loss = F.cross_entropy(logits.flatten(0, 1), text[:, start + 1 : start + 13].flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: {loss.item():.3f}")


if __name__ == "__main__":
    main()
