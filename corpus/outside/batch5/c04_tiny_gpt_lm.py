"""Tiny GPT-style character LM: tied input/output embeddings, linear LR warm-up that starts
at lr=0, gradient accumulation over 4 micro-batches, gradient clipping and an EMA copy of
the weights kept under no_grad for evaluation."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

TEXT = ("the quick brown fox jumps over the lazy dog. " * 40)
CHARS = sorted(set(TEXT))
STOI = {c: i for i, c in enumerate(CHARS)}
DATA = torch.tensor([STOI[c] for c in TEXT])
BLOCK, D, ACCUM, OPT_STEPS, WARMUP = 24, 32, 4, 10, 4


class CausalSelfAttention(nn.Module):
    def __init__(self, d, n_head=4):
        super().__init__()
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.n_head = n_head

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.n_head, d // self.n_head).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = CausalSelfAttention(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, vocab, d=D, n_layer=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(BLOCK, d)
        self.blocks = nn.Sequential(*[Block(d) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.tok.weight  # weight tying
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, idx, targets=None):
        x = self.tok(idx) + self.pos(torch.arange(idx.size(1)))
        logits = self.lm_head(self.ln_f(self.blocks(x)))
        loss = None if targets is None else F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss


def get_batch(bs=8):
    ix = torch.randint(0, len(DATA) - BLOCK - 1, (bs,))
    x = torch.stack([DATA[i:i + BLOCK] for i in ix])
    y = torch.stack([DATA[i + 1:i + BLOCK + 1] for i in ix])
    return x, y


def lr_lambda(step):
    if step < WARMUP:
        return step / WARMUP  # 0 at the very first optimizer step
    progress = (step - WARMUP) / max(1, OPT_STEPS - WARMUP)
    return 0.5 * (1 + math.cos(math.pi * progress))


def main():
    torch.manual_seed(0)
    model = TinyGPT(len(CHARS))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1, betas=(0.9, 0.95))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}

    optimizer.zero_grad(set_to_none=True)
    for micro in range(OPT_STEPS * ACCUM):
        x, y = get_batch()
        _, loss = model(x, y)
        (loss / ACCUM).backward()
        if (micro + 1) % ACCUM == 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            with torch.no_grad():
                for k, v in model.state_dict().items():
                    if v.is_floating_point():
                        ema[k].mul_(0.9).add_(v.detach(), alpha=0.1)
            step = (micro + 1) // ACCUM
            print(f"opt step {step:02d} lr {scheduler.get_last_lr()[0]:.5f} loss {loss.detach().item():.4f}")


if __name__ == "__main__":
    main()
