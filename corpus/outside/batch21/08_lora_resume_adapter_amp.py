# Continue LoRA instruction tuning of a small causal LM from a saved adapter, in mixed precision.
#
# Report: https://github.com/thisserand/alpaca-lora-finetune-language/issues/4
# (Alpaca-LoRA fine-tuning restarted from a published adapter with
# PeftModel.from_pretrained(model, LORA_WEIGHTS): "trainable params: 0" and, at the first step,
# "AssertionError: No inf checks were recorded for this optimizer.")
#
# Fault (own words): the adapter loader below copies PEFT's behaviour: a loaded adapter comes back
# in inference mode, with its LoRA matrices frozen, unless is_trainable=True is passed. Stage 2
# loads the stage-1 adapter with the default, so nothing in the model requires grad. The loss still
# has a graph (the k-bit preparation makes the embedding output require grad), backward runs, no
# parameter gets a gradient, and GradScaler.step() finds no inf check for the optimizer.
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

device = "cuda" if torch.cuda.is_available() else "cpu"
amp_dtype = torch.float16 if device == "cuda" else torch.bfloat16

CFG = dict(vocab=48, d_model=64, n_heads=4, n_layers=2, seq_len=24,
           lora_r=8, lora_alpha=16, lora_targets=("q_proj", "v_proj"),
           batch_size=32, micro_batch_size=16, epochs=3, lr=3e-4, weight_decay=0.01, seed=0)

torch.manual_seed(CFG["seed"])
random.seed(CFG["seed"])


# ----------------------------------------------------------------- model
class Attention(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.q_proj, self.k_proj = nn.Linear(d, d), nn.Linear(d, d)
        self.v_proj, self.o_proj = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x):
        b, t, d = x.shape
        split = lambda y: y.view(b, t, self.h, d // self.h).transpose(1, 2)
        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o_proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = Attention(d, h)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class TinyCausalLM(nn.Module):
    def __init__(self, vocab, d, h, n_layers, seq_len):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(seq_len, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, h) for _ in range(n_layers)])
        self.norm = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        x = self.embed_tokens(ids) + self.pos[: ids.shape[1]]
        for blk in self.blocks:
            x = blk(x)
        return self.lm_head(self.norm(x))


# ----------------------------------------------------------------- a small PEFT-like LoRA helper
class LoraLinear(nn.Module):
    def __init__(self, base: nn.Linear, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / math.sqrt(base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


def inject_lora(model, targets, r, alpha):
    for blk in model.blocks:
        for name in targets:
            setattr(blk.attn, name, LoraLinear(getattr(blk.attn, name), r, alpha))
    return model


def adapter_state_dict(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k}


def prepare_model_for_kbit_training(model):
    for p in model.parameters():
        p.requires_grad_(False)
    # like enable_input_require_grads(): keeps a graph for gradient checkpointing / adapters
    model.embed_tokens.register_forward_hook(lambda m, i, o: o.requires_grad_(True))
    return model


def load_adapter(model, adapter_weights, r, alpha, targets, is_trainable=False):
    """Mirror of PeftModel.from_pretrained: inference mode unless is_trainable."""
    model = inject_lora(model, targets, r, alpha)
    missing = model.load_state_dict(adapter_weights, strict=False)
    assert not missing.unexpected_keys
    for n, p in model.named_parameters():
        if "lora_" in n:
            p.requires_grad_(is_trainable)
    return model


def print_trainable_parameters(model):
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    print(f"trainable params: {trainable} || all params: {total} || trainable%: {100 * trainable / total:.4f}")


# ----------------------------------------------------------------- data: "copy the instruction" task
class CopyTask(Dataset):
    def __init__(self, n, seq_len, vocab, seed):
        g = torch.Generator().manual_seed(seed)
        half = seq_len // 2
        src = torch.randint(4, vocab, (n, half - 1), generator=g)
        sep = torch.full((n, 1), 2)
        self.ids = torch.cat([src, sep, src.flip(1), torch.full((n, 1), 3)], dim=1)[:, :seq_len]

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return self.ids[i]


def lm_loss(logits, ids):
    return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]).float(), ids[:, 1:].reshape(-1))


def stage1_adapter():
    """The adapter published by the first fine-tuning run (stand-in for the downloaded weights)."""
    g = torch.Generator().manual_seed(1)
    m = inject_lora(TinyCausalLM(CFG["vocab"], CFG["d_model"], CFG["n_heads"], CFG["n_layers"], CFG["seq_len"]),
                    CFG["lora_targets"], CFG["lora_r"], CFG["lora_alpha"])
    for n, p in m.named_parameters():
        if "lora_B" in n:
            p.data = torch.randn(p.shape, generator=g) * 0.01
    return adapter_state_dict(m)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    tot, n = 0.0, 0
    for ids in loader:
        ids = ids.to(device)
        with torch.autocast(device_type=device, dtype=amp_dtype):
            tot += lm_loss(model(ids), ids).item() * len(ids)
        n += len(ids)
    model.train()
    return tot / n


# ----------------------------------------------------------------- stage 2
adapter = stage1_adapter()
base = TinyCausalLM(CFG["vocab"], CFG["d_model"], CFG["n_heads"], CFG["n_layers"], CFG["seq_len"])
base = prepare_model_for_kbit_training(base)
model = load_adapter(base, adapter, CFG["lora_r"], CFG["lora_alpha"], CFG["lora_targets"]).to(device)
print_trainable_parameters(model)

train_loader = DataLoader(CopyTask(512, CFG["seq_len"], CFG["vocab"], 0), batch_size=CFG["micro_batch_size"], shuffle=True)
val_loader = DataLoader(CopyTask(128, CFG["seq_len"], CFG["vocab"], 1), batch_size=64)

decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim >= 2]
no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.ndim < 2]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": CFG["weight_decay"]},
                               {"params": no_decay, "weight_decay": 0.0}], lr=CFG["lr"])
scaler = torch.amp.GradScaler(device)
accum = CFG["batch_size"] // CFG["micro_batch_size"]

print(f"val loss before: {evaluate(model, val_loader):.4f}")
step = 0
for epoch in range(CFG["epochs"]):
    running = 0.0
    for i, ids in enumerate(train_loader):
        ids = ids.to(device)
        with torch.autocast(device_type=device, dtype=amp_dtype):
            loss = lm_loss(model(ids), ids) / accum
        scaler.scale(loss).backward()
        running += loss.item()
        if (i + 1) % accum == 0:
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            if step % 10 == 0:
                print(f"epoch {epoch} step {step} loss {running / 10:.4f}")
                running = 0.0
    print(f"epoch {epoch}: val loss {evaluate(model, val_loader):.4f}")
