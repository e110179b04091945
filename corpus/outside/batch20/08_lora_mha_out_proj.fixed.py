# Report: https://github.com/Baijiong-Lin/LoRA-Torch/issues/3
# A small pretrained transformer text classifier is fine-tuned with LoRA. A PEFT-style wrapper is
# put on the attention's output projection (attn.out_proj) and on the feed-forward layers, and
# only the adapters and the new head are trained. The wrapper exposes the frozen base's
# .weight/.bias so that nn.MultiheadAttention accepts it, but MHA never calls out_proj(...): it
# passes out_proj.weight / out_proj.bias straight to F.multi_head_attention_forward, so the
# LoRA branch of the output projection never runs and its lora_A / lora_B never get a
# gradient. The feed-forward adapters and the head train.
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

CFG = {
    "vocab": 200,
    "d_model": 32,
    "heads": 4,
    "layers": 2,
    "seq_len": 16,
    "classes": 3,
    "rank": 4,
    "alpha": 8,
    "lr": 3e-3,
    "epochs": 4,
    "batch_size": 32,
    "seed": 7,
}

torch.manual_seed(CFG["seed"])
random.seed(CFG["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"


class ToyReviews(Dataset):
    """Token sequences whose label depends on which 'keyword' band dominates."""

    def __init__(self, n):
        self.x = torch.randint(3, CFG["vocab"], (n, CFG["seq_len"]))
        self.y = (self.x[:, :4].sum(1) % CFG["classes"]).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class LoRALinear(nn.Module):
    """Wraps a frozen nn.Linear and adds a low-rank update (PEFT-style wrapper)."""

    def __init__(self, base: nn.Linear, r: int, alpha: int):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / r

    # MultiheadAttention expects .weight/.bias on its out_proj
    @property
    def weight(self):
        return self.base.weight + (self.lora_B @ self.lora_A) * self.scaling

    @property
    def bias(self):
        return self.base.bias

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(CFG["vocab"], CFG["d_model"])
        self.pos = nn.Parameter(torch.randn(1, CFG["seq_len"], CFG["d_model"]) * 0.02)
        layer = nn.TransformerEncoderLayer(CFG["d_model"], CFG["heads"], 64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, CFG["layers"], enable_nested_tensor=False)
        self.head = nn.Linear(CFG["d_model"], CFG["classes"])

    def forward(self, tokens):
        h = self.encoder(self.embed(tokens) + self.pos)
        return self.head(h.mean(1))


def inject_lora(model, targets=("out_proj", "linear1", "linear2")):
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if child_name in targets and isinstance(child, nn.Linear):
                setattr(module, child_name, LoRALinear(child, CFG["rank"], CFG["alpha"]))


def mark_trainable(model):
    for n, p in model.named_parameters():
        p.requires_grad = "lora_" in n or n.startswith("head.")


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        pred = model(x.to(device)).argmax(-1)
        correct += (pred == y.to(device)).sum().item()
        total += len(y)
    model.train()
    return correct / total


model = Classifier().to(device)
# pretend "pretrained" weights: a short full fine-tune would normally come from a checkpoint
inject_lora(model)
mark_trainable(model)
model.to(device)

train_loader = DataLoader(ToyReviews(512), batch_size=CFG["batch_size"], shuffle=True)
val_loader = DataLoader(ToyReviews(128), batch_size=64)
params = [p for p in model.parameters() if p.requires_grad]
print(f"trainable tensors: {len(params)}, values: {sum(p.numel() for p in params)}")
optimizer = torch.optim.AdamW(params, lr=CFG["lr"], weight_decay=0.0)

attn_adapter = model.encoder.layers[0].self_attn.out_proj
for epoch in range(CFG["epochs"]):
    running = 0.0
    for step, (x, y) in enumerate(train_loader):
        logits = model(x.to(device))
        loss = F.cross_entropy(logits, y.to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
    print(f"epoch {epoch} loss {running / (step + 1):.4f} val acc {evaluate(model, val_loader):.3f}")
print("attn out_proj lora_B norm:", attn_adapter.lora_B.norm().item())
