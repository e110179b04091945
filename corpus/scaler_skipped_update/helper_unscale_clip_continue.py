"""Tiny transformer language model with a helper that unscales and clips; the loop skips a step
whose gradient norm explodes (it did not happen in the first steps)."""
import math

import torch
import torch.nn as nn

torch.manual_seed(5)
VOCAB, CONTEXT = 64, 16


def unscale_and_clip(grad_scaler, optimizer, parameters, max_norm):
    """Unscale the gradients in place and clip them; returns the norm before clipping."""
    grad_scaler.unscale_(optimizer)
    return torch.nn.utils.clip_grad_norm_(parameters, max_norm).item()


class TinyLM(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, dim)
        self.pos = nn.Parameter(torch.zeros(CONTEXT, dim))
        layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=64, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, num_layers=2)
        self.lm_head = nn.Linear(dim, VOCAB)

    def forward(self, ids):
        mask = nn.Transformer.generate_square_subsequent_mask(ids.shape[1])
        return self.lm_head(self.blocks(self.tok(ids) + self.pos, mask=mask, is_causal=True))


corpus = torch.randint(0, VOCAB, (4096,))
model = TinyLM()
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, betas=(0.9, 0.95))
scaler = torch.amp.GradScaler("cpu")

for step in range(200):
    starts = torch.randint(0, len(corpus) - CONTEXT - 1, (8,))
    ids = torch.stack([corpus[s:s + CONTEXT] for s in starts])
    targets = torch.stack([corpus[s + 1:s + CONTEXT + 1] for s in starts])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = model(ids)
    loss = nn.functional.cross_entropy(logits.float().view(-1, VOCAB), targets.view(-1))
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    norm = unscale_and_clip(scaler, optimizer, model.parameters(), 1.0)
    if not math.isfinite(norm) or norm > 100.0:
        print(f"step {step}: gradient norm {norm:.1f}, step skipped")
        continue
    scaler.step(optimizer)
    scaler.update()
    if step % 50 == 0:
        print(f"step {step}: loss {loss.item():.3f}")
