# Quantization-aware training of a BitNet b1.58 style sequence classifier: every projection in
# the blocks is a BitLinear with ternary weights {-1, 0, +1} * scale and 8-bit activations.
#
# Correct look-alike, after: https://github.com/kyegomez/BitNet/issues/51
# ("what is the purpose of detach here?")
#
# The quantizers round, which has a zero gradient, and the forward pass uses
# w + (weight_quant(w) - w).detach(). The .detach() looks like it cuts the weight out of the graph,
# but it is the straight-through estimator: the forward value is the quantized weight, and the
# backward pass sees the identity, so the latent fp32 weights get the full gradient and keep
# training. The in-place clamp_() calls inside the quantizers also look risky, but they act on
# freshly computed scale tensors that nothing saves for backward.
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {"vocab": 256, "dim": 64, "depth": 2, "seq": 24, "n_classes": 4, "n_train": 1024,
          "batch_size": 64, "lr": 3e-3, "epochs": 5, "warmup_steps": 16}


def activation_quant(x):
    """Per-token absmax quantization to 8 bits."""
    scale = 127.0 / x.abs().max(dim=-1, keepdim=True).values.clamp_(min=1e-5)
    return (x * scale).round().clamp_(-128, 127) / scale


def weight_quant(w):
    """Per-tensor absmean quantization to ternary values."""
    scale = 1.0 / w.abs().mean().clamp_(min=1e-5)
    return (w * scale).round().clamp_(-1, 1) / scale


class BitLinear(nn.Linear):
    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features, bias=False)
        self.norm = nn.RMSNorm(in_features)

    def forward(self, x):
        x_norm = self.norm(x)
        x_quant = x_norm + (activation_quant(x_norm) - x_norm).detach()
        w_quant = self.weight + (weight_quant(self.weight) - self.weight).detach()
        return F.linear(x_quant, w_quant)


class BitBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.mix = BitLinear(dim, dim)           # token-wise projection
        self.up = BitLinear(dim, 4 * dim)
        self.down = BitLinear(4 * dim, dim)

    def forward(self, x):
        x = x + self.mix(x)
        return x + self.down(F.gelu(self.up(x)))


class BitClassifier(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed = nn.Embedding(cfg["vocab"], cfg["dim"])
        self.blocks = nn.ModuleList(BitBlock(cfg["dim"]) for _ in range(cfg["depth"]))
        self.norm = nn.RMSNorm(cfg["dim"])
        self.head = nn.Linear(cfg["dim"], cfg["n_classes"])   # kept in full precision

    def forward(self, ids):
        h = self.embed(ids)
        for blk in self.blocks:
            h = blk(h)
        return self.head(self.norm(h).mean(1))


def make_data(cfg, n, seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, cfg["vocab"], (n, cfg["seq"]), generator=g)
    y = ((ids < cfg["vocab"] // 4).sum(1) > cfg["seq"] // 4).long() * 2 + (ids[:, 0] % 2)
    return TensorDataset(ids, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    args = parser.parse_args()
    torch.manual_seed(0)
    model = BitClassifier(CONFIG)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CONFIG["lr"], weight_decay=0.01)
    warmup = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / CONFIG["warmup_steps"]))
    loader = DataLoader(make_data(CONFIG, CONFIG["n_train"], 0), batch_size=CONFIG["batch_size"], shuffle=True)

    for epoch in range(args.epochs):
        t0, total, correct = time.time(), 0.0, 0
        for ids, y in loader:
            logits = model(ids)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            warmup.step()
            total += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
        with torch.no_grad():
            ternary = torch.cat([weight_quant(m.weight).sign().flatten()
                                 for m in model.modules() if isinstance(m, BitLinear)])
            zeros = (ternary == 0).float().mean().item()
        print(f"epoch {epoch}: loss {total / CONFIG['n_train']:.4f} acc {correct / CONFIG['n_train']:.3f} "
              f"zero weights {zeros:.2%} ({time.time() - t0:.1f}s)")
    return model


if __name__ == "__main__":
    model = main()
