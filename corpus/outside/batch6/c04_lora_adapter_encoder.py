import math
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
VOCAB, D, SEQ, N_CLS = 64, 32, 16, 3


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r=4, alpha=8):
        super().__init__()
        self.base = base
        self.scaling = alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class Block(nn.Module):
    def __init__(self, d=D):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn_proj = nn.Linear(d, d)
        self.mlp = nn.Linear(d, d)

    def forward(self, x):
        h = self.norm1(x)
        attn = torch.softmax(h @ h.transpose(1, 2) / math.sqrt(h.size(-1)), dim=-1) @ h
        x = x + self.attn_proj(attn)
        return x + self.mlp(F.gelu(self.norm2(x)))


class TinyEncoder(nn.Module):
    def __init__(self, n_cls=N_CLS, grad_ckpt=True):
        super().__init__()
        self.grad_ckpt = grad_ckpt
        self.embed = nn.Embedding(VOCAB, D)
        self.blocks = nn.ModuleList([Block(), Block()])
        self.head = nn.Linear(D, n_cls)

    def forward(self, tokens):
        x = self.embed(tokens)
        for blk in self.blocks:
            x = checkpoint(blk, x, use_reentrant=False) if self.grad_ckpt and self.training else blk(x)
        return self.head(x.mean(1))


def make_batch(n):
    y = torch.randint(0, N_CLS, (n,))
    tokens = torch.randint(0, VOCAB, (n, SEQ))
    marker = torch.rand(n, SEQ) < 0.3
    tokens[marker] = (y[:, None] * 10 + 1).expand(-1, SEQ)[marker]
    return tokens, y


model = TinyEncoder().to(device)
# the encoder is treated as pre-trained: freeze everything, then add adapters and a fresh head
model.requires_grad_(False)
for blk in model.blocks:
    blk.attn_proj = LoRALinear(blk.attn_proj)
    blk.mlp = LoRALinear(blk.mlp)
model.head = nn.Linear(D, N_CLS)
model.to(device)

activation_stats = {}


def log_activation(name):
    def hook(module, inputs, output):
        activation_stats[name] = output.detach().float().std().item()
    return hook


for i, blk in enumerate(model.blocks):
    blk.register_forward_hook(log_activation(f"block{i}"))

optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3, weight_decay=0.01)
for step in range(60):
    model.train()
    tokens, y = make_batch(32)
    loss = F.cross_entropy(model(tokens.to(device)), y.to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 19:
        model.eval()
        with torch.no_grad():
            xt, yt = make_batch(256)
            acc = (model(xt.to(device)).argmax(1).cpu() == yt).float().mean().item()
        print(f"step {step + 1} loss {loss.item():.3f} acc {acc:.3f} act-std {activation_stats}")
