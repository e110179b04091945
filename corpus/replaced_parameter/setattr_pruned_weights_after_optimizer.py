# Magnitude pruning zeroes the smallest weights of every linear layer by rebinding the weight
# with setattr, after the optimizer was built: fine-tuning then steps the unpruned originals.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def prune_by_magnitude(model, amount):
    for module in model.modules():
        if isinstance(module, nn.Linear):
            w = module.weight.detach()
            threshold = w.abs().flatten().kthvalue(int(amount * w.numel())).values
            setattr(module, "weight", nn.Parameter(w * (w.abs() > threshold)))


model = nn.Sequential(nn.Linear(10, 24), nn.ReLU(), nn.Linear(24, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
prune_by_magnitude(model, 0.5)

x = torch.randn(200, 10)
y = (x[:, 0] > 0).long()
for epoch in range(5):
    for i in range(0, 200, 50):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[i:i + 50]), y[i:i + 50])
        loss.backward()
        optimizer.step()
print(loss.item())
