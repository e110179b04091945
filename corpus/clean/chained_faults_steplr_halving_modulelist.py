# A deep narrow MLP with its layers in an nn.ModuleList, trained with a step decay that halves the rate.
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import StepLR


class DeepNarrow(nn.Module):
    def __init__(self, width=12, depth=5):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4 if i == 0 else width, width) for i in range(depth)])
        self.out = nn.Linear(width, 1)

    def forward(self, x):
        for layer in self.layers:
            x = torch.tanh(layer(x))
        return self.out(x)


torch.manual_seed(0)
x = torch.randn(256, 4)
y = torch.sin(x.sum(dim=1, keepdim=True))
model = DeepNarrow()
params = list(model.parameters())
print(f"{sum(p.numel() for p in params)} parameters")
optimizer = torch.optim.SGD(params, lr=0.1, momentum=0.9)
scheduler = StepLR(optimizer, step_size=1, gamma=0.5)
for epoch in range(5):
    for xb, yb in zip(x.split(64), y.split(64)):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(f"epoch {epoch}: mse {loss.item():.4f}")
