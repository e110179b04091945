import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)

MODEL = dict(vocab=32, ctx=24, width=48, heads=4, layers=2)
LORA = dict(rank=4, alpha=16, targets=("c_attn", "c_fc"))
STEPS = dict(pretrain=30, finetune=30)


class CausalSelfAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.c_fc = nn.Linear(width, 4 * width)
        self.c_out = nn.Linear(4 * width, width)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.c_out(F.gelu(self.c_fc(self.ln_2(x))))


class LoRALinear(nn.Linear):
    def __init__(self, in_features, out_features, rank, alpha):
        super().__init__(in_features, out_features)
        self.lora_A = nn.Parameter(torch.randn(rank, in_features) / math.sqrt(in_features))
        self.lora_B = nn.Parameter(torch.zeros(out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return super().forward(x) + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scale


class TinyGPT(nn.Module):
    def __init__(self, vocab, ctx, width, heads, layers):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(ctx, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.ln_f(x) @ self.wte.weight.t()

    def inject_lora(self, rank, alpha, targets):
        for name, module in list(self.named_modules()):
            if isinstance(module, nn.Linear) and name.split(".")[-1] in targets:
                lora = LoRALinear(module.in_features, module.out_features, rank, alpha)
                lora.weight, lora.bias = module.weight, module.bias
                module = lora
                parent_name, _, attr = name.rpartition(".")
                setattr(self.get_submodule(parent_name), attr, module)
        for name, p in self.named_parameters():
            p.requires_grad = "lora_" in name


def batches(kind, n, ctx):
    """Pretraining text is a counting sequence; the instruction task reverses a prompt."""
    if kind == "pretrain":
        start = torch.randint(0, 32, (n, 1))
        seq = (start + torch.arange(ctx + 1)) % 32
    else:
        prompt = torch.randint(2, 32, (n, ctx // 2))
        seq = torch.cat([prompt, torch.ones(n, 1, dtype=torch.long), prompt.flip(1)], dim=1)[:, : ctx + 1]
    return seq[:, :-1], seq[:, 1:]


def train(model, kind, steps, lr):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr)
    for step in range(steps):
        x, y = batches(kind, 32, MODEL["ctx"])
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 10 == 9:
            print(f"{kind} step {step + 1}: loss {loss.item():.3f}")


model = TinyGPT(**MODEL)
train(model, "pretrain", STEPS["pretrain"], lr=3e-3)
model.inject_lora(LORA["rank"], LORA["alpha"], LORA["targets"])
print("trainable:", sum(p.numel() for p in model.parameters() if p.requires_grad))
train(model, "finetune", STEPS["finetune"], lr=1e-2)
