# Sequence tagging with one self-attention layer over token embeddings: each position must output
# the token two places before it, which content alone cannot tell; a learned bias per relative
# offset (model.attn.rel_bias) is added to the attention scores so the layer can look back.
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
VOCAB, LENGTH, DIM, LAG = 12, 16, 32, 2


class RelativeSelfAttention(nn.Module):
    def __init__(self, dim, length):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.rel_bias = nn.Parameter(torch.zeros(2 * length - 1))
        pos = torch.arange(length)
        self.register_buffer("rel_index", pos[None, :] - pos[:, None] + length - 1)
        self.scale = dim ** -0.5

    def forward(self, h):
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        scores = q @ k.transpose(1, 2) * self.scale
        scores = scores.add(self.rel_bias[self.rel_index])
        weights = scores.softmax(dim=-1)
        return self.out(weights @ v)


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.attn = RelativeSelfAttention(DIM, LENGTH)
        self.head = nn.Linear(DIM, VOCAB)

    def forward(self, tokens):
        h = self.embed(tokens)
        return self.head(h + self.attn(h))


def make_batch(size):
    tokens = torch.randint(0, VOCAB, (size, LENGTH))
    target = torch.roll(tokens, LAG, dims=1)
    target[:, :LAG] = 0
    return tokens, target


model = Tagger()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)

for step in range(150):
    tokens, target = make_batch(64)
    logits = model(tokens)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), target.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        print(f"step {step}  loss {loss.item():.3f}")

tokens, target = make_batch(256)
with torch.no_grad():
    accuracy = (model(tokens).argmax(-1) == target).float().mean().item()
print(f"final loss {loss.item():.3f}  accuracy {accuracy:.3f}")
