# Report: https://github.com/NVlabs/LongLive/issues/16
# A causal transformer is trained chunk by chunk with a KV cache and non-reentrant activation
# checkpointing on every block. The attention appends to the cache inside the checkpointed
# forward, so the recomputation in backward sees a longer cache: CheckpointError (crash).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

cfg = dict(dim=64, heads=4, layers=3, frame_dim=24, seq_len=32, chunk=8, batch=4, iters=4, lr=3e-4,
           gradient_checkpointing=True)


class CausalSelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.reset_cache()

    def reset_cache(self):
        self.cache_k = None
        self.cache_v = None

    def forward(self, x, start_pos):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).unbind(2)
        q, k, v = (z.transpose(1, 2) for z in (q, k, v))          # b, h, t, hd
        if self.cache_k is not None:
            k_all = torch.cat([self.cache_k, k], dim=2)
            v_all = torch.cat([self.cache_v, v], dim=2)
        else:
            k_all, v_all = k, v
        # keep the context of earlier chunks for the next one (no gradient across chunks)
        self.cache_k, self.cache_v = k_all.detach(), v_all.detach()

        past = k_all.shape[2] - t
        mask = torch.ones(t, k_all.shape[2], dtype=torch.bool, device=x.device).tril(diagonal=past)
        out = F.scaled_dot_product_attention(q, k_all, v_all, attn_mask=mask)
        return self.proj(out.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, start_pos):
        x = x + self.attn(self.norm1(x), start_pos)
        return x + self.mlp(self.norm2(x))


class CausalFrameModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.inp = nn.Linear(c["frame_dim"], c["dim"])
        self.pos = nn.Embedding(c["seq_len"], c["dim"])
        self.blocks = nn.ModuleList(Block(c["dim"], c["heads"]) for _ in range(c["layers"]))
        self.norm = nn.LayerNorm(c["dim"])
        self.head = nn.Linear(c["dim"], c["frame_dim"])
        self.gradient_checkpointing = c["gradient_checkpointing"]

    def reset_cache(self):
        for blk in self.blocks:
            blk.attn.reset_cache()

    def forward(self, frames, start_pos):
        pos = torch.arange(start_pos, start_pos + frames.shape[1], device=frames.device)
        h = self.inp(frames) + self.pos(pos)
        for blk in self.blocks:
            if self.gradient_checkpointing and self.training:
                h = checkpoint(blk, h, start_pos, use_reentrant=False)
            else:
                h = blk(h, start_pos)
        return self.head(self.norm(h))


model = CausalFrameModel(cfg).to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])


def train():
    model.train()
    for it in range(cfg["iters"]):
        video = torch.randn(cfg["batch"], cfg["seq_len"] + 1, cfg["frame_dim"], device=device).cumsum(1) * 0.1
        model.reset_cache()
        for start in range(0, cfg["seq_len"], cfg["chunk"]):
            inp = video[:, start:start + cfg["chunk"]]
            tgt = video[:, start + 1:start + 1 + cfg["chunk"]]
            pred = model(inp, start)
            loss = F.mse_loss(pred, tgt)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"iter {it}  last chunk loss {loss.item():.4f}")


train()
