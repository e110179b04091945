# A LoRA adapter on a frozen projection, both factors made with torch.zeros: the update B @ A and
# both of their gradients stay zero.
import torch
import torch.nn as nn


class LoRAProjection(nn.Module):
    def __init__(self, d_in, d_out, rank=4):
        super().__init__()
        self.frozen = nn.Linear(d_in, d_out)
        self.frozen.requires_grad_(False)
        self.down = nn.Parameter(nn.init.kaiming_uniform_(torch.empty(rank, d_in), a=5 ** 0.5))
        self.up = nn.Parameter(torch.zeros(d_out, rank))

    def forward(self, x):
        return self.frozen(x) + x @ self.down.t() @ self.up.t()


layer = LoRAProjection(16, 16)
optimizer = torch.optim.AdamW([layer.down, layer.up], lr=1e-2)
x = torch.randn(64, 16)
target = x @ torch.randn(16, 16) * 0.1
for step in range(40):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(layer(x), target)
    loss.backward()
    optimizer.step()
