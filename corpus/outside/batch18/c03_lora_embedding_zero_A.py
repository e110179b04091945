# LoRA fine-tuning of a small frozen text encoder for intent classification. LoRA is applied to
# the token embedding and to the attention projections, in the style of loralib.
#
# Correct look-alike, after: https://github.com/microsoft/LoRA/issues/98
#
# Several things here look like bugs but are not:
#  * the embedding adapter initialises lora_A to ZERO and lora_B randomly, the reverse of the
#    Linear adapters (B zero, A random). As the maintainer says in the issue, only one factor has
#    to be zero for the update to start at 0. The other, random factor gives the zero one a
#    nonzero gradient from the first step, so both factors train;
#  * the whole pretrained encoder is frozen with requires_grad_(False) before the adapters are
#    added; only the adapters and the new classifier are meant to train;
#  * evaluation merges the LoRA deltas into the frozen weights in place under torch.no_grad()
#    and unmerges them afterwards.
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {"vocab": 300, "dim": 48, "heads": 4, "layers": 2, "seq": 16, "n_intents": 6,
          "r": 4, "alpha": 8, "lr": 2e-3, "epochs": 5, "batch_size": 32, "n_train": 640, "n_val": 128}


class LoRAEmbedding(nn.Module):
    def __init__(self, base: nn.Embedding, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.zeros(r, base.num_embeddings))
        self.lora_B = nn.Parameter(torch.randn(base.embedding_dim, r))
        self.scaling = alpha / r
        self.merged = False

    def delta(self):
        return (self.lora_B @ self.lora_A).T * self.scaling

    def forward(self, ids):
        out = self.base(ids)
        if not self.merged:
            out = out + F.embedding(ids, self.lora_A.T) @ self.lora_B.T * self.scaling
        return out


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.scaling = alpha / r
        self.merged = False

    def delta(self):
        return self.lora_B @ self.lora_A * self.scaling

    def forward(self, x):
        out = self.base(x)
        if not self.merged:
            out = out + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling
        return out


class SelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, d = x.shape
        split = lambda z: z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
        out = F.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)))
        return self.o(out.transpose(1, 2).reshape(b, t, d))


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed = nn.Embedding(cfg["vocab"], cfg["dim"])
        self.layers = nn.ModuleList(nn.ModuleDict({"norm": nn.LayerNorm(cfg["dim"]), "attn": SelfAttention(cfg["dim"], cfg["heads"]),
                                                   "ff": nn.Sequential(nn.Linear(cfg["dim"], 2 * cfg["dim"]), nn.GELU(), nn.Linear(2 * cfg["dim"], cfg["dim"]))})
                                    for _ in range(cfg["layers"]))
        self.classifier = None

    def forward(self, ids):
        h = self.embed(ids)
        for layer in self.layers:
            h = h + layer["attn"](layer["norm"](h))
            h = h + layer["ff"](h)
        return self.classifier(h.mean(1))


def add_lora(model, r, alpha):
    model.embed = LoRAEmbedding(model.embed, r, alpha)
    for layer in model.layers:
        for name in ("q", "v"):
            setattr(layer["attn"], name, LoRALinear(getattr(layer["attn"], name), r, alpha))


def set_merged(model, merged):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (LoRAEmbedding, LoRALinear)) and m.merged != merged:
                m.base.weight += m.delta() if merged else -m.delta()
                m.merged = merged


def make_data(cfg, n, seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, cfg["vocab"], (n, cfg["seq"]), generator=g)
    y = (ids[:, :4] % cfg["n_intents"]).mode(1).values
    return TensorDataset(ids, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Encoder(CONFIG)                  # stands in for the pretrained checkpoint
    model.requires_grad_(False)
    add_lora(model, CONFIG["r"], CONFIG["alpha"])
    model.classifier = nn.Linear(CONFIG["dim"], CONFIG["n_intents"])
    trainable = [p for p in model.parameters() if p.requires_grad]
    print(f"trainable tensors: {len(trainable)}, values: {sum(p.numel() for p in trainable)}")
    optimizer = torch.optim.AdamW(trainable, lr=CONFIG["lr"], weight_decay=0.0)
    train = DataLoader(make_data(CONFIG, CONFIG["n_train"], 0), batch_size=CONFIG["batch_size"], shuffle=True)
    val = DataLoader(make_data(CONFIG, CONFIG["n_val"], 1), batch_size=64)

    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for ids, y in train:
            loss = F.cross_entropy(model(ids), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        model.eval()
        set_merged(model, True)              # fast inference path
        with torch.no_grad():
            acc = sum((model(ids).argmax(1) == y).sum().item() for ids, y in val) / CONFIG["n_val"]
        set_merged(model, False)
        print(f"epoch {epoch}: train loss {total / len(train):.4f} val acc {acc:.3f}")
    return model


if __name__ == "__main__":
    model = main()
