"""House-price regression: the author rebinds the loss to its value for the progress log,
one line before backward()."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(1)


class PriceModel(nn.Module):
    def __init__(self, n_features: int):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU())
        self.head = nn.Linear(64, 1)

    def forward(self, x):
        return self.head(self.body(x)).squeeze(-1)


x = torch.randn(512, 10)
true_w = torch.linspace(-1, 1, 10)
y = x @ true_w + 0.1 * torch.randn(512)

net = PriceModel(10)
opt = torch.optim.AdamW(net.parameters(), lr=3e-3, weight_decay=1e-4)
history = []

for step in range(200):
    idx = torch.randint(0, 512, (64,))
    pred = net(x[idx])
    loss = F.mse_loss(pred, y[idx])
    loss_value = loss.item()  # for the progress log
    opt.zero_grad()
    loss.backward()
    opt.step()
    history.append(loss_value)
    if step % 50 == 0:
        print(f"step {step:4d}  mse {loss_value:.4f}")

print("last 10 steps:", sum(history[-10:]) / 10)
