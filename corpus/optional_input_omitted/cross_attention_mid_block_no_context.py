"""Text-conditioned denoiser for latent token sequences (a tiny latent-diffusion transformer): the
encoder, middle and decoder blocks attend to themselves and, through cross-attention, to the
embedded prompt. Built as separate pieces put together by a denoise() function."""
import itertools

import torch
import torch.nn as nn
import torch.nn.functional as F

DIM, CTX_DIM, SEQ, PROMPT = 32, 24, 8, 6


class TransformerBlock(nn.Module):
    def __init__(self, dim, context_dim, heads=4):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.self_attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.cross_attn = nn.MultiheadAttention(dim, heads, kdim=context_dim, vdim=context_dim, batch_first=True)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))

    def forward(self, x, context=None):
        h = self.norm1(x)
        x = x + self.self_attn(h, h, h, need_weights=False)[0]
        if context is not None:
            x = x + self.cross_attn(self.norm2(x), context, context, need_weights=False)[0]
        return x + self.ff(self.norm3(x))


prompt_embedding = nn.Embedding(50, CTX_DIM)
time_embedding = nn.Embedding(100, DIM)
enc_block = TransformerBlock(DIM, CTX_DIM)
mid_block = TransformerBlock(DIM, CTX_DIM)
dec_block = TransformerBlock(DIM, CTX_DIM)
head = nn.Linear(DIM, DIM)
parts = [prompt_embedding, time_embedding, enc_block, mid_block, dec_block, head]


def denoise(noisy, t, prompt):
    ctx = prompt_embedding(prompt)
    h = noisy + time_embedding(t)[:, None, :]
    h = enc_block(h, context=ctx)
    h = mid_block(h)
    h = dec_block(h, context=ctx)
    return head(h)


torch.manual_seed(0)
alphas = torch.linspace(0.99, 0.1, 100)
optimizer = torch.optim.AdamW(itertools.chain(*(p.parameters() for p in parts)), lr=5e-4)
for step in range(40):
    prompt = torch.randint(0, 50, (16, PROMPT))
    clean = torch.tanh(prompt.float().mean(1, keepdim=True)[:, :, None] / 25 * torch.ones(16, SEQ, DIM))
    t = torch.randint(0, 100, (16,))
    noise = torch.randn_like(clean)
    a = alphas[t][:, None, None]
    noisy = a.sqrt() * clean + (1 - a).sqrt() * noise
    loss = F.mse_loss(denoise(noisy, t, prompt), noise)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
