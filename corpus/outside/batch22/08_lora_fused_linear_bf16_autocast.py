# Report: https://github.com/pytorch/ao/issues/4616
# The report: a custom autograd.Function linear run under torch.autocast(bfloat16) crashes in its
# hand-written backward with "expected scalar type BFloat16 but found Float".
"""LoRA fine-tuning of a small causal LM with a fused (memory-saving) LoRA linear, bf16 autocast."""
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)
random.seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
AMP_DTYPE = torch.bfloat16

VOCAB, SEQ, D_MODEL, N_HEAD, N_LAYER = 64, 20, 32, 4, 2
RANK, ALPHA = 8, 16


class PatternLM(Dataset):
    """Token streams made of a few repeating motifs: next-token prediction is learnable."""

    def __init__(self, n, seed):
        motifs = torch.randint(4, VOCAB, (6, 5), generator=torch.Generator().manual_seed(123))
        g = torch.Generator().manual_seed(seed)
        self.rows = []
        for _ in range(n):
            idx = torch.randint(0, 6, (SEQ // 5 + 2,), generator=g)
            seq = motifs[idx].flatten()[: SEQ + 1]
            self.rows.append(seq)

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        s = self.rows[i]
        return s[:-1], s[1:]


class FusedLoRALinearFn(torch.autograd.Function):
    """y = x W^T + b + s * (x A^T) B^T, recomputing the low-rank path in backward."""

    @staticmethod
    def forward(ctx, x, weight, bias, lora_a, lora_b, scaling):
        ctx.save_for_backward(x, weight, lora_a, lora_b)
        ctx.scaling = scaling
        return F.linear(x, weight, bias) + scaling * F.linear(F.linear(x, lora_a), lora_b)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, lora_a, lora_b = ctx.saved_tensors
        s = ctx.scaling
        g2 = grad_out.reshape(-1, grad_out.shape[-1])
        x2 = x.reshape(-1, x.shape[-1])
        gb = g2.matmul(lora_b)                      # [N, r]
        grad_x = g2.matmul(weight) + s * gb.matmul(lora_a)
        grad_a = s * gb.t().matmul(x2)
        grad_b = s * g2.t().matmul(x2.matmul(lora_a.t()))
        return grad_x.reshape(x.shape), None, None, grad_a, grad_b, None


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, rank=RANK, alpha=ALPHA):
        super().__init__()
        self.base = base
        self.base.weight.requires_grad_(False)
        self.base.bias.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / rank

    def forward(self, x):
        return FusedLoRALinearFn.apply(x, self.base.weight, self.base.bias, self.lora_A, self.lora_B, self.scaling)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(D_MODEL), nn.LayerNorm(D_MODEL)
        self.q = nn.Linear(D_MODEL, D_MODEL)
        self.k = nn.Linear(D_MODEL, D_MODEL)
        self.v = nn.Linear(D_MODEL, D_MODEL)
        self.o = nn.Linear(D_MODEL, D_MODEL)
        self.mlp = nn.Sequential(nn.Linear(D_MODEL, 4 * D_MODEL), nn.GELU(), nn.Linear(4 * D_MODEL, D_MODEL))

    def forward(self, x):
        b, t, _ = x.shape
        h = self.ln1(x)
        q, k, v = (f(h).view(b, t, N_HEAD, -1).transpose(1, 2) for f in (self.q, self.k, self.v))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o(att.transpose(1, 2).reshape(b, t, -1))
        return x + self.mlp(self.ln2(x))


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D_MODEL)
        self.pos = nn.Embedding(SEQ, D_MODEL)
        self.blocks = nn.ModuleList(Block() for _ in range(N_LAYER))
        self.ln_f = nn.LayerNorm(D_MODEL)
        self.lm_head = nn.Linear(D_MODEL, VOCAB, bias=False)

    def forward(self, ids):
        x = self.tok(ids) + self.pos(torch.arange(ids.shape[1], device=ids.device))
        for blk in self.blocks:
            x = blk(x)
        return self.lm_head(self.ln_f(x))


def add_lora(model, targets=("q", "v")):
    for p in model.parameters():
        p.requires_grad_(False)
    for blk in model.blocks:
        for name in targets:
            setattr(blk, name, LoRALinear(getattr(blk, name)))
    return model


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    tot, n = 0.0, 0
    for ids, tgt in loader:
        ids, tgt = ids.to(device), tgt.to(device)
        with torch.autocast(device.type, dtype=AMP_DTYPE):
            logits = model(ids)
        tot += F.cross_entropy(logits.float().reshape(-1, VOCAB), tgt.reshape(-1), reduction="sum").item()
        n += tgt.numel()
    model.train()
    return tot / n


def main():
    global model
    model = add_lora(TinyLM()).to(device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    print(f"trainable params: {sum(p.numel() for p in trainable)} / {sum(p.numel() for p in model.parameters())}")
    opt = torch.optim.AdamW(trainable, lr=1e-2, weight_decay=0.0)
    train_dl = DataLoader(PatternLM(256, 1), batch_size=32, shuffle=True)
    val_dl = DataLoader(PatternLM(128, 2), batch_size=64)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3 * len(train_dl))

    print(f"epoch 0 val loss {evaluate(model, val_dl):.4f}")
    for epoch in range(1, 4):
        running = 0.0
        for step, (ids, tgt) in enumerate(train_dl):
            ids, tgt = ids.to(device), tgt.to(device)
            with torch.autocast(device.type, dtype=AMP_DTYPE):
                logits = model(ids)
                loss = F.cross_entropy(logits.float().reshape(-1, VOCAB), tgt.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            opt.step()
            sched.step()
            running += loss.item()
        print(f"epoch {epoch} train loss {running / len(train_dl):.4f} val loss {evaluate(model, val_dl):.4f}")


if __name__ == "__main__":
    main()
