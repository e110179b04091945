"""An MLP-Mixer on sequences of tokens with a per-channel scale on both residual branches, starting at 1."""
import torch
import torch.nn as nn


class MixerBlock(nn.Module):
    def __init__(self, tokens, dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.token_mix = nn.Sequential(nn.Linear(tokens, tokens), nn.GELU())
        self.norm2 = nn.LayerNorm(dim)
        self.channel_mix = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.ls1 = nn.Parameter(torch.ones((dim,), dtype=torch.float32))
        self.ls2 = nn.Parameter(torch.ones((dim,)))

    def forward(self, x):
        x = x + self.ls1 * self.token_mix(self.norm1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.ls2 * self.channel_mix(self.norm2(x))


class Mixer(nn.Module):
    def __init__(self, tokens=6, dim=16, depth=2, n_classes=3):
        super().__init__()
        self.blocks = nn.ModuleList([MixerBlock(tokens, dim) for _ in range(depth)])
        self.classifier = nn.Linear(dim, n_classes)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.classifier(x.mean(1))


def batches(n_steps, batch=32, tokens=6, dim=16):
    for _ in range(n_steps):
        x = torch.randn(batch, tokens, dim)
        y = (x[:, 0, 0] > 0).long() + (x[:, -1, 1] > 0).long()
        yield x, y


torch.manual_seed(0)
mixer = Mixer()
optim = torch.optim.Adam(mixer.parameters(), lr=2e-3)
for i, (x, y) in enumerate(batches(60)):
    loss = nn.functional.cross_entropy(mixer(x), y)
    optim.zero_grad()
    loss.backward()
    optim.step()
    if i % 20 == 0:
        print(i, loss.item())
