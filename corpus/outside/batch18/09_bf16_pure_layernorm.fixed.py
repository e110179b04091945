# Tiny GPT-style language model trained with its weights stored in bfloat16 ("pure bf16",
# to halve memory), without an fp32 master copy.
#
# Reproduces: https://github.com/workofart/ml-by-hand/pull/85
#
# The whole model is cast with model.to(torch.bfloat16), so AdamW writes each update back into
# a bfloat16 weight. Near 1.0, bfloat16 values are 2**-8 apart below 1.0 and 2**-7 apart above it.
# An AdamW step of about lr (5e-4) on a LayerNorm gain that starts at exactly 1.0 rounds back to
# 1.0 every time. So every LayerNorm weight stays at its initial value for the whole run, even
# though its gradient is nonzero. Weights with small values (linears, embeddings, LayerNorm biases)
# still move, so the loss goes down and nothing looks wrong.
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "vocab": 48, "ctx": 16, "d_model": 32, "n_head": 4, "n_layer": 2,
    "batch_size": 32, "lr": 5e-4, "betas": (0.9, 0.95), "weight_decay": 0.1,
    "epochs": 3, "n_seqs": 768,
}


class MarkovText(Dataset):
    """Token sequences from a random sparse Markov chain (stands in for a tokenized corpus)."""

    def __init__(self, n, ctx, vocab, seed=0):
        g = torch.Generator().manual_seed(seed)
        trans = torch.rand(vocab, vocab, generator=g) ** 8
        trans = trans / trans.sum(1, keepdim=True)
        seqs = torch.empty(n, ctx + 1, dtype=torch.long)
        seqs[:, 0] = torch.randint(0, vocab, (n,), generator=g)
        for t in range(1, ctx + 1):
            seqs[:, t] = torch.multinomial(trans[seqs[:, t - 1]], 1, generator=g).squeeze(1)
        self.seqs = seqs

    def __len__(self):
        return len(self.seqs)

    def __getitem__(self, i):
        return self.seqs[i, :-1], self.seqs[i, 1:]


class Block(nn.Module):
    def __init__(self, d, n_head):
        super().__init__()
        self.ln1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, n_head, batch_first=True)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab"], cfg["d_model"])
        self.pos_emb = nn.Embedding(cfg["ctx"], cfg["d_model"])
        self.blocks = nn.ModuleList([Block(cfg["d_model"], cfg["n_head"]) for _ in range(cfg["n_layer"])])
        self.ln_f = nn.LayerNorm(cfg["d_model"])
        self.lm_head = nn.Linear(cfg["d_model"], cfg["vocab"], bias=False)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)

    def forward(self, idx):
        t = idx.shape[1]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool, device=idx.device), 1)
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(t, device=idx.device))
        for blk in self.blocks:
            x = blk(x, mask)
        return self.lm_head(self.ln_f(x))


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if p.dim() >= 2 and "emb" not in name else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dtype", default="bf16", choices=["fp32", "bf16"])
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    args = parser.parse_args()
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = TinyGPT(CONFIG).to(device)
    optimizer = torch.optim.AdamW(param_groups(model, CONFIG["weight_decay"]), lr=CONFIG["lr"], betas=CONFIG["betas"])
    loader = DataLoader(MarkovText(CONFIG["n_seqs"], CONFIG["ctx"], CONFIG["vocab"]),
                        batch_size=CONFIG["batch_size"], shuffle=True, drop_last=True)
    print(f"params: {sum(p.numel() for p in model.parameters())}, dtype {next(model.parameters()).dtype}")

    step = 0
    for epoch in range(args.epochs):
        t0, running = time.time(), 0.0
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=args.dtype == "bf16"):
                logits = model(x)   # bf16 compute, fp32 master weights
            loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.view(-1))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            running += loss.item()
            step += 1
            if step % 16 == 0:
                print(f"step {step}: loss {loss.item():.4f}")
        avg = running / len(loader)
        print(f"epoch {epoch}: loss {avg:.4f} ppl {math.exp(avg):.2f} ({time.time() - t0:.1f}s)")
    return model


if __name__ == "__main__":
    model = main()
