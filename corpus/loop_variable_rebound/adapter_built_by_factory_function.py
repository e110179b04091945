"""Protein solubility from sequence: a small transformer encoder "pretrained" on a masked-residue
task, then adapted with bottleneck adapters on each feed-forward output (encoder frozen)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)

AMINO = 21  # 20 residues + mask
LENGTH, WIDTH = 24, 32
ADAPTER_CFG = {"kind": "parallel", "bottleneck": 8, "scale": 1.0}


class SerialAdapter(nn.Module):
    def __init__(self, layer, bottleneck):
        super().__init__()
        self.layer = layer
        self.adapter = nn.Sequential(nn.Linear(layer.out_features, bottleneck), nn.ReLU(), nn.Linear(bottleneck, layer.out_features))

    def forward(self, x):
        h = self.layer(x)
        return h + self.adapter(h)


class ParallelAdapter(nn.Module):
    def __init__(self, layer, bottleneck, scale):
        super().__init__()
        self.layer = layer
        self.adapter = nn.Sequential(nn.Linear(layer.in_features, bottleneck), nn.ReLU(), nn.Linear(bottleneck, layer.out_features))
        self.scale = scale

    def forward(self, x):
        return self.layer(x) + self.scale * self.adapter(x)


def build_adapter(layer, cfg):
    if cfg["kind"] == "serial":
        return SerialAdapter(layer, cfg["bottleneck"])
    return ParallelAdapter(layer, cfg["bottleneck"], cfg["scale"])


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(AMINO, WIDTH)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(WIDTH, nhead=4, dim_feedforward=64, batch_first=True, dropout=0.0) for _ in range(2)
        )

    def forward(self, tokens):
        x = self.embed(tokens)
        for layer in self.layers:
            x = layer(x)
        return x


def sequences(n):
    tokens = torch.randint(0, 20, (n, LENGTH))
    hydrophobic = (tokens < 8).float().mean(1)
    soluble = (hydrophobic + 0.05 * torch.randn(n) < 0.4).long()
    return tokens, soluble


encoder = Encoder()
mlm_head = nn.Linear(WIDTH, AMINO)
opt = torch.optim.Adam([*encoder.parameters(), *mlm_head.parameters()], lr=3e-3)
for _ in range(15):
    tokens, _ = sequences(32)
    masked = tokens.masked_fill(torch.rand(tokens.shape) < 0.15, 20)
    loss = F.cross_entropy(mlm_head(encoder(masked)).flatten(0, 1), tokens.flatten())
    opt.zero_grad()
    loss.backward()
    opt.step()

for name, module in encoder.named_modules():
    if name.endswith("linear2"):
        module = build_adapter(module, ADAPTER_CFG)
encoder.requires_grad_(False)
for name, p in encoder.named_parameters():
    if ".adapter." in name:
        p.requires_grad_(True)

classifier = nn.Linear(WIDTH, 2)
params = [p for p in encoder.parameters() if p.requires_grad] + list(classifier.parameters())
opt = torch.optim.Adam(params, lr=3e-3)
for step in range(30):
    tokens, soluble = sequences(64)
    loss = F.cross_entropy(classifier(encoder(tokens).mean(1)), soluble)
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"solubility loss {loss.item():.3f}")
