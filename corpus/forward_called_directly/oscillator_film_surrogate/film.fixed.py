"""FiLM-conditioned MLP: a generator maps the physical parameters of each sample to a per-channel
scale and shift for every hidden block; the blocks themselves are shared across conditions."""
import torch
import torch.nn as nn


class FiLMGenerator(nn.Module):
    def __init__(self, cond_dim, widths):
        super().__init__()
        self.widths = list(widths)
        self.net = nn.Sequential(nn.Linear(cond_dim, 64), nn.SiLU(), nn.Linear(64, 2 * sum(self.widths)))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, cond):
        gamma_beta = self.net(cond)
        out, start = [], 0
        for w in self.widths:
            gamma, beta = gamma_beta[:, start:start + 2 * w].chunk(2, dim=-1)
            out.append((1.0 + gamma, beta))
            start += 2 * w
        return out


def _film_hook(surrogate, index):
    def modulate(module, inputs, output):
        gamma, beta = surrogate._films[index]
        return gamma * output + beta
    return modulate


class FiLMSurrogate(nn.Module):
    def __init__(self, in_dim, cond_dim, hidden, n_blocks, out_dim):
        super().__init__()
        self.inp = nn.Linear(in_dim, hidden)
        self.blocks = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(n_blocks))
        self.generator = FiLMGenerator(cond_dim, [hidden] * n_blocks)
        self.out = nn.Linear(hidden, out_dim)
        self._films = None
        for i, block in enumerate(self.blocks):
            block.register_forward_hook(_film_hook(self, i))

    def forward(self, t, cond):
        self._films = self.generator(cond)
        h = torch.tanh(self.inp(t))
        for block in self.blocks:
            h = torch.tanh(block(h))
        return self.out(h)


def count_params(module):
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
