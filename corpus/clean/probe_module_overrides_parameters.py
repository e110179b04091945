# A wrapper module that overrides parameters() with its own signature (as `higher`'s patched
# modules do: no `recurse`), trained the ordinary way through it.
import torch
import torch.nn as nn


class Frozenless(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def parameters(self):  # the trainable ones only, and no recurse argument
        return (p for p in self.inner.parameters() if p.requires_grad)

    def forward(self, x):
        return self.inner(x)


torch.manual_seed(0)
model = Frozenless(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
for epoch in range(5):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
