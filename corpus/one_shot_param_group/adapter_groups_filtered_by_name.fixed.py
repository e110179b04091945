# Adapter tuning set up after a warm-up: the script inserts an adapter, then rebuilds each of its
# two groups with filter(...) over named_parameters(), by name. A filter object is an iterator:
# the first zero_grad() after the warm-up consumes both groups and the optimizer goes idle.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.adapter = None

    def forward(self, x):
        h = torch.tanh(self.proj(x))
        return h + self.adapter(h) if self.adapter is not None else h


model = nn.Sequential(Block(12), Block(12), nn.Linear(12, 1))
optimizer = torch.optim.AdamW(
    [{"params": [p for n, p in model.named_parameters() if n.endswith("bias")], "weight_decay": 0.0},
     {"params": [p for n, p in model.named_parameters() if not n.endswith("bias")]}],
    lr=1e-2,
)
x, y = torch.randn(48, 12), torch.randn(48, 1)

for step in range(6):
    if step == 3:
        for block in model[:2]:
            block.adapter = nn.Sequential(nn.Linear(12, 4), nn.ReLU(), nn.Linear(4, 12))
        optimizer.param_groups[0]["params"] = list(map(lambda item: item[1], filter(lambda item: item[0].endswith("bias"), model.named_parameters())))
        optimizer.param_groups[1]["params"] = list(map(lambda item: item[1], filter(lambda item: not item[0].endswith("bias"), model.named_parameters())))
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
print(loss.item())
