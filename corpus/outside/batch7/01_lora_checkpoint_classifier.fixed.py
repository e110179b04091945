"""Intent classification: LoRA fine-tuning of a small pre-norm transformer encoder.

The base encoder (token embeddings, attention and MLP weights) is frozen, only the
LoRA adapters on the query/value projections and the classification head are trained.
Gradient checkpointing is used on every block to keep activation memory low.
"""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

VOCAB, DIM, HEADS, LAYERS, SEQ, CLASSES = 200, 64, 4, 2, 16, 5


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r=8, alpha=16):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / math.sqrt(base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)

    def forward(self, x, mask):
        b, n, d = x.shape
        h = self.heads
        q = self.q(x).view(b, n, h, d // h).transpose(1, 2)
        k = self.k(x).view(b, n, h, d // h).transpose(1, 2)
        v = self.v(x).view(b, n, h, d // h).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None, None, :])
        return self.o(out.transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, mask):
        x = x + self.attn(self.ln1(x), mask)
        return x + self.mlp(self.ln2(x))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, DIM)
        self.pos = nn.Embedding(SEQ, DIM)
        self.blocks = nn.ModuleList([Block(DIM, HEADS) for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, CLASSES)
        self.gradient_checkpointing = False

    def forward(self, ids, mask):
        pos = torch.arange(ids.shape[1], device=ids.device)
        h = self.tok(ids) + self.pos(pos)[None]
        for blk in self.blocks:
            if self.gradient_checkpointing and self.training:
                h = checkpoint(blk, h, mask, use_reentrant=False)
            else:
                h = blk(h, mask)
        h = self.ln_f(h)
        pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(pooled)


def add_lora(model, r=8):
    for p in model.parameters():
        p.requires_grad = False
    for blk in model.blocks:
        blk.attn.q = LoRALinear(blk.attn.q, r)
        blk.attn.v = LoRALinear(blk.attn.v, r)
    for p in model.head.parameters():
        p.requires_grad = True
    return model


def make_batch(n=32):
    ids = torch.randint(1, VOCAB, (n, SEQ))
    lengths = torch.randint(6, SEQ + 1, (n,))
    mask = (torch.arange(SEQ)[None] < lengths[:, None]).float()
    labels = (ids[:, 0] + ids[:, 1]) % CLASSES
    return ids.to(device), mask.bool().to(device), labels.to(device)


model = add_lora(Encoder()).to(device)
model.gradient_checkpointing = True
trainable = [p for p in model.parameters() if p.requires_grad]
print(f"trainable params: {sum(p.numel() for p in trainable)} / {sum(p.numel() for p in model.parameters())}")
optimizer = torch.optim.AdamW(trainable, lr=3e-3, weight_decay=0.0)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=30)

model.train()
for step in range(30):
    ids, mask, labels = make_batch()
    logits = model(ids, mask)
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(trainable, 1.0)
    optimizer.step()
    scheduler.step()
    if step % 10 == 0:
        acc = (logits.argmax(-1) == labels).float().mean().item()
        print(f"step {step:3d}  loss {loss.item():.4f}  acc {acc:.3f}  lr {scheduler.get_last_lr()[0]:.2e}")

model.eval()
with torch.no_grad():
    ids, mask, labels = make_batch(128)
    print("eval acc", (model(ids, mask).argmax(-1) == labels).float().mean().item())
