# Prefix tuning of a small frozen causal decoder on synthetic "count up" sequences: learned prefix
# vectors are prepended to every attention's keys and values, padding is passed as a
# key_padding_mask (True = ignore) and the decoder is trained, through the prefix and its output
# layer only, to predict the next token.
import torch
from torch import nn

torch.manual_seed(0)
VOCAB, DIM, PAD, PREFIX = 20, 32, 0, 5


class PrefixBlock(nn.Module):
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


class PrefixDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList([PrefixBlock() for _ in range(2)])
        self.prefix = nn.Parameter(torch.randn(PREFIX, DIM) * 0.1)
        self.out = nn.Linear(DIM, VOCAB)

    def forward(self, ids):
        b, t = ids.shape
        prefix_pad = torch.zeros(
            b,
            self.prefix.size(0),
            dtype=torch.bool,
        )
        key_padding_mask = torch.cat([prefix_pad, ids == PAD], dim=1)
        future = torch.ones(t, t, dtype=torch.bool).triu(1)
        causal = torch.cat([torch.zeros(t, PREFIX, dtype=torch.bool), future], dim=1)
        x = self.embed(ids)
        for block in self.blocks:
            x = block(x, self.prefix[None], key_padding_mask, causal)
        return self.out(x)


def count_up_batch(n, length=10):
    start = torch.randint(1, VOCAB // 2, (n, 1))
    ids = (start + torch.arange(length)[None]).clamp(max=VOCAB - 1)
    ends = torch.randint(5, length + 1, (n,))
    return ids.masked_fill(torch.arange(length)[None] >= ends[:, None], PAD)


model = PrefixDecoder()
for module in (model.embed, model.blocks):
    module.requires_grad_(False)
optimizer = torch.optim.Adam([model.prefix, *model.out.parameters()], lr=5e-3)

for step in range(60):
    ids = count_up_batch(32)
    logits = model(ids[:, :-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), ids[:, 1:].reshape(-1), ignore_index=PAD)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
