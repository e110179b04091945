"""A tiny causal transformer on a synthetic copy-with-offset task; rotary position embeddings are
applied to the queries and keys in place by one autograd Function."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)

VOCAB, SEQ, DIM, HEADS, BATCH, STEPS = 32, 24, 64, 4, 32, 40


def rotate_half(t):
    a, b = t.chunk(2, dim=-1)
    return torch.cat((-b, a), dim=-1)


class RotaryInplace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, cos, sin):
        q_rot, k_rot = rotate_half(q), rotate_half(k)
        q.mul_(cos).add_(q_rot * sin)
        k.mul_(cos).add_(k_rot * sin)
        ctx.mark_dirty(q, k)
        ctx.save_for_backward(cos, sin)
        return q, k

    @staticmethod
    def backward(ctx, grad_q, grad_k):
        cos, sin = ctx.saved_tensors

        def undo(g):
            a, b = (g * sin).chunk(2, dim=-1)
            return g * cos + torch.cat((b, -a), dim=-1)

        return undo(grad_q), undo(grad_k), None, None


def rotary_tables(seq, head_dim):
    inv_freq = 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim))
    angles = torch.outer(torch.arange(seq).float(), inv_freq)
    angles = torch.cat((angles, angles), dim=-1)
    return angles.cos(), angles.sin()


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(DIM)
        self.q = nn.Linear(DIM, DIM)
        self.k = nn.Linear(DIM, DIM)
        self.v = nn.Linear(DIM, DIM)
        self.out = nn.Linear(DIM, DIM)
        self.norm2 = nn.LayerNorm(DIM)
        self.mlp = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.GELU(), nn.Linear(4 * DIM, DIM))
        cos, sin = rotary_tables(SEQ, DIM // HEADS)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, x):
        b, t, _ = x.shape
        h = self.norm1(x)
        split = lambda z: z.view(b, t, HEADS, DIM // HEADS).transpose(1, 2).contiguous()
        q, k = RotaryInplace.apply(split(self.q(h)), split(self.k(h)), self.cos[:t], self.sin[:t])
        att = F.scaled_dot_product_attention(q, k, split(self.v(h)), is_causal=True)
        x = x + self.out(att.transpose(1, 2).reshape(b, t, DIM))
        return x + self.mlp(self.norm2(x))


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.blocks = nn.ModuleList([Block(), Block()])
        self.head = nn.Linear(DIM, VOCAB)

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def copy_batch(n, offset=6):
    """The second half repeats tokens from `offset` positions back."""
    tokens = torch.randint(1, VOCAB, (n, SEQ))
    tokens[:, SEQ // 2:] = tokens[:, SEQ // 2 - offset:SEQ - offset]
    return tokens[:, :-1], tokens[:, 1:]


model = TinyLM()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
val_x, val_y = copy_batch(128)
with torch.no_grad():
    model.eval()
    print(f"val loss before: {F.cross_entropy(model(val_x).flatten(0, 1), val_y.flatten()).item():.3f} (uniform {math.log(VOCAB):.3f})")
    model.train()

for step in range(STEPS):
    x, y = copy_batch(BATCH)
    logits = model(x)
    loss = F.cross_entropy(logits[:, SEQ // 2:].flatten(0, 1), y[:, SEQ // 2:].flatten())
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 9:
        print(f"step {step + 1}: copy loss {loss.item():.3f}")
