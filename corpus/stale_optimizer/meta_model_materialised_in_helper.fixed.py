"""A model built on the meta device (no memory for its weights until it is materialised), with
its optimizer built right away; a helper materialises it with to_empty() and initialises it."""
import torch
import torch.nn as nn


class Scorer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(5, 12)
        self.score = nn.Linear(12, 1)

    def forward(self, x):
        return self.score(torch.tanh(self.hidden(x)))


def materialise(module, device):
    module.to_empty(device=device)
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            layer.reset_parameters()


torch.manual_seed(0)
x = torch.randn(80, 5)
y = (x[:, :1] > 0).float()
with torch.device("meta"):
    model = Scorer()
materialise(model, "cpu")
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for step in range(10):
    optimizer.zero_grad()
    loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
