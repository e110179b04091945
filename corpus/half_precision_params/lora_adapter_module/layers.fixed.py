"""A LoRA adapter around a frozen linear layer: only the two low-rank factors are trained."""
import torch
import torch.nn as nn


class LoRAAdapter(nn.Module):
    def __init__(self, base: nn.Linear, rank: int = 4, alpha: float = 8.0):
        super().__init__()
        self.base = [base]  # kept out of the module tree: it is frozen and not ours to save
        self.scaling = alpha / rank
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) * 0.01)
        self.lora_b = nn.Parameter(torch.randn(base.out_features, rank) * 0.01)

    def forward(self, x):
        update = (x @ self.lora_a.t().to(x.dtype)) @ self.lora_b.t().to(x.dtype)
        return self.base[0](x) + self.scaling * update
