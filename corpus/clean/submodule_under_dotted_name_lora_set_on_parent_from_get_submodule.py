"""LoRA fine-tuning of a frozen pretrained attention encoder, the adapters injected by walking
named_modules() of the whole model: each dotted path is split into its parent's path and the
child's own name, the parent fetched with get_submodule(), and the adapter set on it with
setattr(parent, child_name, adapter), so it replaces the projection where it is."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class SelfAttention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.q_proj, self.k_proj, self.v_proj = nn.Linear(dim, dim), nn.Linear(dim, dim), nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)

    def forward(self, x):
        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(x.shape[-1]), dim=-1)
        return x + self.out_proj(att @ v)


class LoRALinear(nn.Module):
    def __init__(self, base, rank=4, alpha=8.0):
        super().__init__()
        self.base = base
        self.lora_down = nn.Parameter(torch.randn(rank, base.in_features) / rank)
        self.lora_up = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scaling = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.lora_down.t() @ self.lora_up.t()) * self.scaling


def inject_lora(model, targets=("q_proj", "v_proj"), rank=4):
    for name, module in list(model.named_modules()):
        parent_name, _, child_name = name.rpartition(".")
        if isinstance(module, nn.Linear) and child_name in targets:
            parent = model.get_submodule(parent_name)
            setattr(parent, child_name, LoRALinear(module, rank))
    return model


class TextClassifier(nn.Module):
    def __init__(self, vocab=100, dim=32, n_layers=2, n_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(SelfAttention(dim) for _ in range(n_layers))
        self.head = nn.Linear(dim, n_classes)

    def forward(self, tokens):
        h = self.embed(tokens)
        for layer in self.layers:
            h = layer(h)
        return self.head(h.mean(1))


n_classes = 3
model = TextClassifier(n_classes=n_classes)
model.requires_grad_(False)  # the pretrained encoder stays as it is
model.head.requires_grad_(True)
inject_lora(model)

tokens = torch.randint(0, 100, (96, 12))
labels = tokens[:, :4].sum(1) % n_classes
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)

for epoch in range(4):
    for i in range(0, 96, 16):
        loss = F.cross_entropy(model(tokens[i:i + 16]), labels[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
