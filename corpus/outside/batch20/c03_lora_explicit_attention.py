# Look-alike (correct). Reference: https://github.com/helicalAI/helical/pull/405
# LoRA fine-tuning of a small transformer classifier whose self-attention is written out with
# explicit q/k/v/out nn.Linear modules (a LoRA-compatible attention that really calls
# self.out_proj(ctx)), so every wrapped projection runs its LoRA branch. What looks wrong but is
# right: the whole pretrained base (token embedding, projections' base weights, layer norms) is
# frozen on purpose with requires_grad_(False); the wrapper's base Linear is frozen; lora_B
# starts at zero (lora_A is random, so B still gets a gradient); evaluation runs under no_grad.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CFG = dict(vocab=200, d=32, heads=4, layers=2, seq=16, classes=3, rank=4, alpha=8, lr=3e-3, epochs=4, bs=32, seed=7)
torch.manual_seed(CFG["seed"])


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class SelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x):
        B, T, D = x.shape
        split = lambda t: t.view(B, T, self.h, D // self.h).transpose(1, 2)
        ctx = F.scaled_dot_product_attention(split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x)))
        return self.out_proj(ctx.transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.attn, self.ln1, self.ln2 = SelfAttention(d, heads), nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.ff(self.ln2(x))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(CFG["vocab"], CFG["d"])
        self.blocks = nn.ModuleList(Block(CFG["d"], CFG["heads"]) for _ in range(CFG["layers"]))
        self.head = nn.Linear(CFG["d"], CFG["classes"])

    def forward(self, tokens):
        h = self.embed(tokens)
        for blk in self.blocks:
            h = blk(h)
        return self.head(h.mean(1))


def add_lora(model):
    for blk in model.blocks:
        for name in ("q_proj", "v_proj", "out_proj"):
            setattr(blk.attn, name, LoRALinear(getattr(blk.attn, name), CFG["rank"], CFG["alpha"]))


def make_data(n):
    x = torch.randint(3, CFG["vocab"], (n, CFG["seq"]))
    return TensorDataset(x, (x[:, :4].sum(1) % CFG["classes"]).long())


model = Classifier()
model.requires_grad_(False)  # the pretrained base stays frozen
add_lora(model)
model.head.requires_grad_(True)
trainable = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(trainable, lr=CFG["lr"], weight_decay=0.0)
train_dl = DataLoader(make_data(512), batch_size=CFG["bs"], shuffle=True)
val_dl = DataLoader(make_data(128), batch_size=64)


@torch.no_grad()
def evaluate():
    model.eval()
    acc = sum((model(x).argmax(-1) == y).sum().item() for x, y in val_dl) / len(val_dl.dataset)
    model.train()
    return acc


for epoch in range(CFG["epochs"]):
    total = 0.0
    for x, y in train_dl:
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch} loss {total / len(train_dl):.4f} val acc {evaluate():.3f}")
