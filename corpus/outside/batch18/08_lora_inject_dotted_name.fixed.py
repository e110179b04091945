# LoRA fine-tuning of a small image-text matching model built from diffusers-style
# cross-attention blocks.
#
# Reproduces: https://github.com/cloneofsimo/lora/pull/39
#
# The injection helper walks every CrossAttention block with named_modules(), so the output
# projection comes back under the dotted name "to_out.0" (it lives in the ModuleList to_out).
# The helper then writes the LoRA wrapper into the block's _modules under that dotted key.
# That adds a new, separate child called "to_out.0" and leaves to_out[0] unchanged, so
# forward() still calls the original frozen Linear. The LoRA layers built for the output
# projections are passed to the optimizer but never run, so they get no gradient and never
# change. The q/k/v adapters and the head do train, so the loss still goes down.
import argparse
import itertools
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "dim": 64, "heads": 4, "depth": 2, "vocab": 400, "text_len": 10,
    "n_patches": 16, "patch_dim": 48, "n_classes": 4,
    "lora_rank": 4, "lr": 3e-3, "batch_size": 32, "epochs": 6, "n_train": 768,
}


class LoraInjectedLinear(nn.Module):
    def __init__(self, in_features, out_features, bias=False, r=4):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features, bias)
        self.lora_down = nn.Linear(in_features, r, bias=False)
        self.lora_up = nn.Linear(r, out_features, bias=False)
        self.scale = 1.0
        nn.init.normal_(self.lora_down.weight, std=1 / r)
        nn.init.zeros_(self.lora_up.weight)

    def forward(self, x):
        return self.linear(x) + self.lora_up(self.lora_down(x)) * self.scale


class CrossAttention(nn.Module):
    def __init__(self, query_dim, context_dim, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(query_dim, query_dim, bias=False)
        self.to_k = nn.Linear(context_dim, query_dim, bias=False)
        self.to_v = nn.Linear(context_dim, query_dim, bias=False)
        self.to_out = nn.ModuleList([nn.Linear(query_dim, query_dim), nn.Dropout(0.0)])

    def forward(self, x, context):
        b, n, d = x.shape
        h = self.heads
        q = self.to_q(x).view(b, n, h, d // h).transpose(1, 2)
        k = self.to_k(context).view(b, -1, h, d // h).transpose(1, 2)
        v = self.to_v(context).view(b, -1, h, d // h).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v)
        out = out.transpose(1, 2).reshape(b, n, d)
        for layer in self.to_out:
            out = layer(out)
        return out


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = CrossAttention(dim, dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x, context):
        x = x + self.attn(self.norm1(x), context)
        return x + self.ff(self.norm2(x))


class ImageTextMatcher(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.patch_embed = nn.Linear(cfg["patch_dim"], cfg["dim"])
        self.tok_embed = nn.Embedding(cfg["vocab"], cfg["dim"])
        self.pos = nn.Parameter(torch.randn(1, cfg["n_patches"], cfg["dim"]) * 0.02)
        self.blocks = nn.ModuleList([Block(cfg["dim"], cfg["heads"]) for _ in range(cfg["depth"])])
        self.head = nn.Linear(cfg["dim"], cfg["n_classes"])

    def forward(self, patches, tokens):
        x = self.patch_embed(patches) + self.pos
        ctx = self.tok_embed(tokens)
        for blk in self.blocks:
            x = blk(x, ctx)
        return self.head(x.mean(1))


def _find_modules(model, ancestor_class, search_class=(nn.Linear,)):
    ret = []
    for _module in model.modules():
        if _module.__class__.__name__ in ancestor_class:
            for name, _child_module in _module.named_modules():
                if isinstance(_child_module, search_class):
                    ret.append((_module, name, _child_module))
    return ret


def inject_trainable_lora(model, target_replace_module=("CrossAttention",), r=4):
    """Wrap every Linear under the target blocks with a LoRA layer; return its parameters."""
    require_grad_params, names = [], []
    for _module, name, _child_module in _find_modules(model, target_replace_module):
        _tmp = LoraInjectedLinear(_child_module.in_features, _child_module.out_features,
                                  _child_module.bias is not None, r)
        _tmp.linear.weight = _child_module.weight
        if _child_module.bias is not None:
            _tmp.linear.bias = _child_module.bias
        # switch the module: on its direct parent, not under a dotted key on the block
        *path, child = name.split(".")
        parent = _module.get_submodule(".".join(path)) if path else _module
        parent._modules[child] = _tmp
        require_grad_params.append(_tmp.lora_up.parameters())
        require_grad_params.append(_tmp.lora_down.parameters())
        _tmp.lora_up.weight.requires_grad = True
        _tmp.lora_down.weight.requires_grad = True
        names.append(name)
    return require_grad_params, names


def make_data(cfg, n, seed):
    g = torch.Generator().manual_seed(seed)
    patches = torch.randn(n, cfg["n_patches"], cfg["patch_dim"], generator=g)
    tokens = torch.randint(0, cfg["vocab"], (n, cfg["text_len"]), generator=g)
    w = torch.randn(cfg["patch_dim"], cfg["n_classes"], generator=g)
    labels = (patches.mean(1) @ w + 0.5 * (tokens % cfg["n_classes"] == 0).float().sum(1, keepdim=True)).argmax(1)
    return TensorDataset(patches, tokens, labels)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    parser.add_argument("--rank", type=int, default=CONFIG["lora_rank"])
    args = parser.parse_args()
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"

    model = ImageTextMatcher(CONFIG)          # stands in for the pretrained checkpoint
    model.requires_grad_(False)
    lora_params, names = inject_trainable_lora(model, {"CrossAttention"}, r=args.rank)
    print(f"injected {len(names)} LoRA layers: {sorted(set(names))}")
    model.head.requires_grad_(True)
    model.to(device)

    optimizer = torch.optim.AdamW([
        {"params": itertools.chain(*lora_params), "lr": CONFIG["lr"]},
        {"params": model.head.parameters(), "lr": CONFIG["lr"]},
    ], weight_decay=0.0)
    loader = DataLoader(make_data(CONFIG, CONFIG["n_train"], 1), batch_size=CONFIG["batch_size"], shuffle=True)
    n_trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"trainable parameters: {n_trainable}")

    for epoch in range(args.epochs):
        model.train()
        t0, total, correct, seen = time.time(), 0.0, 0, 0
        for patches, tokens, labels in loader:
            patches, tokens, labels = patches.to(device), tokens.to(device), labels.to(device)
            logits = model(patches, tokens)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            correct += (logits.argmax(1) == labels).sum().item()
            seen += len(labels)
        print(f"epoch {epoch}: loss {total / seen:.4f} acc {correct / seen:.3f} ({time.time() - t0:.1f}s)")
    return model


if __name__ == "__main__":
    model = main()
