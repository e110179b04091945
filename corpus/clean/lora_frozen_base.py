import math

import torch
import torch.nn as nn
from torch.optim import AdamW


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, rank=4, alpha=8.0):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad = False
        self.A = nn.Parameter(torch.empty(rank, base.in_features))
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.A.t() @ self.B.t()) * self.scale


def main():
    torch.manual_seed(0)
    pretrained_state = nn.Linear(32, 16).state_dict()  # stand-in for a checkpoint
    base = nn.Linear(32, 16)
    base.load_state_dict(pretrained_state)

    layer = LoRALinear(base)
    optimizer = AdamW([layer.A, layer.B], lr=1e-2)

    x = torch.randn(64, 32)
    y = torch.randn(64, 16)
    for step in range(5):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(layer(x), y)
        loss.backward()
        optimizer.step()
        print(f"step {step} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
