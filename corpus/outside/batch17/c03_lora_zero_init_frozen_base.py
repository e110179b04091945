# Pattern: https://github.com/microsoft/LoRA/blob/main/loralib/layers.py
# Looks like a fault but is intended: the pretrained base weights are frozen on purpose, and
# lora_B starts at zero (so lora_A's gradient is exactly zero at the first step). lora_B moves
# on the first step, after which both adapter matrices and the classifier train.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

config = {"dim": 64, "r": 8, "lora_alpha": 16, "lora_dropout": 0.05, "num_labels": 4, "steps": 40, "lr": 2e-3}


class LoRALinear(nn.Linear):
    def __init__(self, in_features, out_features, r=8, lora_alpha=16, lora_dropout=0.0, **kw):
        super().__init__(in_features, out_features, **kw)
        self.r = r
        self.lora_A = nn.Parameter(self.weight.new_zeros((r, in_features)))
        self.lora_B = nn.Parameter(self.weight.new_zeros((out_features, r)))
        self.scaling = lora_alpha / r
        self.lora_dropout = nn.Dropout(lora_dropout)
        self.weight.requires_grad = False              # pretrained weight stays fixed
        if self.bias is not None:
            self.bias.requires_grad = False
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B)                    # adapter starts as an exact no-op

    def forward(self, x):
        result = F.linear(x, self.weight, self.bias)
        return result + (self.lora_dropout(x) @ self.lora_A.t() @ self.lora_B.t()) * self.scaling


class Encoder(nn.Module):
    def __init__(self, dim, r, alpha, dropout):
        super().__init__()
        self.q = LoRALinear(dim, dim, r, alpha, dropout)
        self.k = nn.Linear(dim, dim)
        self.v = LoRALinear(dim, dim, r, alpha, dropout)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.ln = nn.LayerNorm(dim)

    def forward(self, x):
        att = torch.softmax(self.q(x) @ self.k(x).transpose(1, 2) / x.shape[-1] ** 0.5, -1)
        x = self.ln(x + att @ self.v(x))
        return x + self.ff(x)


class Classifier(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder = Encoder(c["dim"], c["r"], c["lora_alpha"], c["lora_dropout"])
        self.classifier = nn.Linear(c["dim"], c["num_labels"])

    def forward(self, x):
        return self.classifier(self.encoder(x).mean(1))


model = Classifier(config).to(device)
# "pretrained" encoder: everything except the adapters is frozen
for name, p in model.encoder.named_parameters():
    if "lora_" not in name:
        p.requires_grad = False

trainable = [p for p in model.parameters() if p.requires_grad]
print("trainable params:", sum(p.numel() for p in trainable))
optimizer = torch.optim.AdamW(trainable, lr=config["lr"], weight_decay=0.0)

x_all = torch.randn(256, 12, config["dim"])
y_all = (x_all[:, :, :4].mean(1).argmax(-1))

for step in range(config["steps"]):
    idx = torch.randint(0, 256, (32,))
    loss = F.cross_entropy(model(x_all[idx].to(device)), y_all[idx].to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.4f}")
