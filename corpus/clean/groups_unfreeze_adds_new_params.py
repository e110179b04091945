"""Gradual unfreezing: the optimizer starts with the trainable head only; when the backbone is
unfrozen, its parameters, which the optimizer does not hold yet, become a group of their own."""
import torch
import torch.nn as nn

torch.manual_seed(0)

backbone = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
head = nn.Linear(32, 4)
model = nn.Sequential(backbone, head)
backbone.requires_grad_(False)

optimizer = torch.optim.Adam((p for p in model.parameters() if p.requires_grad), lr=1e-2)
x = torch.randn(40, 10)
y = torch.randint(0, 4, (40,))

for epoch in range(4):
    if epoch == 2:
        backbone.requires_grad_(True)
        optimizer.add_param_group({"params": backbone.parameters(), "lr": 1e-3})
    for i in range(0, 40, 10):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x[i : i + 10]), y[i : i + 10])
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
