# Transformer block that builds parameter-free layers inline in forward(): a softmax, a dropout and a
# layer norm without affine weights. Nothing to train in them, so nothing is lost by rebuilding them.
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, d=32, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ff = nn.Sequential(nn.Linear(d, 64), nn.GELU(), nn.Linear(64, d))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = nn.Softmax(dim=-1)(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5)
        attn = nn.Dropout(0.1)(attn)
        out = (attn @ v).transpose(1, 2).reshape(b, t, d)
        x = nn.LayerNorm(d, elementwise_affine=False)(x + self.proj(out))
        return nn.LayerNorm(d, elementwise_affine=False)(x + self.ff(x))


torch.manual_seed(0)
model = nn.Sequential(Block(), Block())
head = nn.Linear(32, 5)
optimizer = torch.optim.AdamW(list(model.parameters()) + list(head.parameters()), lr=1e-3)
tokens = torch.randn(16, 10, 32)
labels = torch.randint(0, 5, (16,))
for step in range(10):
    logits = head(model(tokens).mean(1))
    loss = nn.functional.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
