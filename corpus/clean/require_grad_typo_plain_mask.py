import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class CausalSelfAttention(nn.Module):
    def __init__(self, dim=16, max_len=12):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        # a plain tensor attribute, not a buffer: it is made on the device it is used on
        self.mask = torch.tril(torch.ones(max_len, max_len)).bool()
        self.mask.require_grad = False

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        scores = q @ k.transpose(1, 2) / q.shape[-1] ** 0.5
        t = x.shape[1]
        scores = scores.masked_fill(~self.mask[:t, :t], float("-inf"))
        return self.out(scores.softmax(-1) @ v)


class TinyLM(nn.Module):
    def __init__(self, vocab=30, dim=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.attn = CausalSelfAttention(dim)
        self.lm_head = nn.Linear(dim, vocab)

    def forward(self, tokens):
        return self.lm_head(self.attn(self.embed(tokens)))


tokens = torch.randint(0, 30, (8, 12))
model = TinyLM()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
for step in range(6):
    logits = model(tokens[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, 30), tokens[:, 1:].reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
