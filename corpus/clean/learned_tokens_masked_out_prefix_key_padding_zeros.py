# Prefix tuning of a small frozen causal decoder that continues synthetic arithmetic progressions:
# learned prefix vectors are prepended to every attention's keys and values and the padding goes in
# as a key_padding_mask (True = ignore), extended with False for the prefix so every query can
# attend to it. Only the prefix and the output layer are trained.
import torch
from torch import nn

torch.manual_seed(0)
VOCAB, DIM, PAD, PREFIX = 24, 32, 0, 6


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(DIM, 4, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.ReLU(), nn.Linear(4 * DIM, DIM))
        self.ln1, self.ln2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)

    def forward(self, x, prefix, key_padding_mask, causal):
        h = self.ln1(x)
        kv = torch.cat([prefix.expand(x.size(0), -1, -1), h], dim=1)
        x = x + self.attn(h, kv, kv, key_padding_mask=key_padding_mask, attn_mask=causal, need_weights=False)[0]
        return x + self.ff(self.ln2(x))


class PrefixLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList([Block() for _ in range(2)])
        self.prefix = nn.Parameter(torch.randn(PREFIX, DIM) * 0.1)
        self.out = nn.Linear(DIM, VOCAB)

    def forward(self, ids):
        b, t = ids.shape
        prefix_pad = torch.zeros(b, self.prefix.size(0), dtype=torch.bool)
        key_padding_mask = torch.cat([prefix_pad, ids == PAD], dim=1)
        causal = torch.cat([torch.zeros(t, PREFIX, dtype=torch.bool), torch.ones(t, t, dtype=torch.bool).triu(1)], dim=1)
        x = self.embed(ids)
        for block in self.blocks:
            x = block(x, self.prefix[None], key_padding_mask, causal)
        return self.out(x)


def progressions(n, length=9):
    start = torch.randint(1, 8, (n, 1))
    stride = torch.randint(1, 3, (n, 1))
    ids = (start + stride * torch.arange(length)[None]).clamp(max=VOCAB - 1)
    ends = torch.randint(5, length + 1, (n,))
    return ids.masked_fill(torch.arange(length)[None] >= ends[:, None], PAD)


model = PrefixLM()
model.embed.requires_grad_(False)
model.blocks.requires_grad_(False)
optimizer = torch.optim.Adam([model.prefix, *model.out.parameters()], lr=5e-3)

for step in range(60):
    ids = progressions(32)
    logits = model(ids[:, :-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), ids[:, 1:].reshape(-1), ignore_index=PAD)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
