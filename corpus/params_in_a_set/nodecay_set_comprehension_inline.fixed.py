# A transformer-style weight-decay split: the no-decay group (biases and norm weights) is written
# inline as a set comprehension. AdamW refuses it: "optimizer parameters need to be organized in
# ordered collections, but the ordering of tensors in sets will change between runs".
import torch
import torch.nn as nn

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, 4)

    def forward(self, x):
        return self.out(torch.tanh(self.proj(self.norm(x))))


model = Block()
optimizer = torch.optim.AdamW(
    [
        {"params": [p for n, p in model.named_parameters() if p.ndim > 1], "weight_decay": 0.01},
        {"params": [p for n, p in model.named_parameters() if p.ndim <= 1], "weight_decay": 0.0},
    ],
    lr=1e-3,
)
x = torch.randn(64, 16)
y = torch.randint(0, 4, (64,))
for step in range(5):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
