import math

import torch
import torch.nn as nn


class TransformerHead(nn.Module):
    def __init__(self, dim=32, n_classes=3):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, n_classes)
        self.apply(self._init_weights)
        self.init_output()

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02)
            nn.init.zeros_(module.bias)

    def init_output(self):
        nn.init.uniform_(self.out.weight, -1 / math.sqrt(self.out.in_features), 1 / math.sqrt(self.out.in_features))

    def forward(self, x):
        return self.out(self.norm(torch.relu(self.proj(x))))


torch.manual_seed(0)
model = TransformerHead()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
x, y = torch.randn(32, 32), torch.randint(0, 3, (32,))
for step in range(4):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
