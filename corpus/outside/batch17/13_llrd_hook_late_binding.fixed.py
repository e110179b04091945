# Report: https://blog.ayghri.me/posts/coding/python-gotchas
# Layer-wise gradient scaling is done with tensor hooks registered in a loop, but the lambda
# reads `scale` when backward runs, not when it was registered: every hook uses the last value
# of the loop (0.0, meant for the frozen embeddings), so every gradient is zeroed.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

cfg = {
    "vocab": 300, "dim": 32, "heads": 4, "layers": 3, "seq": 16, "num_labels": 3,
    "lr": 3e-4, "layer_decay": 0.75, "embed_grad_scale": 0.0,   # keep pretrained embeddings fixed
    "steps": 24, "batch": 16,
}


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.ff(self.ln2(x))


class TextClassifier(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed = nn.Embedding(c["vocab"], c["dim"])
        self.blocks = nn.ModuleList(Block(c["dim"], c["heads"]) for _ in range(c["layers"]))
        self.norm = nn.LayerNorm(c["dim"])
        self.head = nn.Linear(c["dim"], c["num_labels"])

    def forward(self, ids):
        x = self.embed(ids)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x).mean(1))


model = TextClassifier(cfg).to(device)


def layerwise_scales(model, decay, embed_scale):
    """Top-down layer-wise decay: head 1.0, last block decay, ..., embeddings fixed."""
    scales, scale = {}, 1.0
    for name in ["head", "norm"] + [f"blocks.{i}" for i in reversed(range(len(model.blocks)))]:
        scales[name] = scale
        if name.startswith("blocks"):
            scale *= decay
    scales["embed"] = embed_scale
    return scales


handles = []
for name, scale in layerwise_scales(model, cfg["layer_decay"], cfg["embed_grad_scale"]).items():
    for p in model.get_submodule(name).parameters():
        handles.append(p.register_hook(lambda grad, scale=scale: grad * scale))

optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])

# synthetic "topic" data: the label decides which third of the vocabulary is used
labels = torch.randint(0, cfg["num_labels"], (512,))
band = cfg["vocab"] // cfg["num_labels"]
ids = labels[:, None] * band + torch.randint(0, band, (512, cfg["seq"]))

for step in range(cfg["steps"]):
    idx = torch.randint(0, 512, (cfg["batch"],))
    x, y = ids[idx].to(device), labels[idx].to(device)
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.4f}")
