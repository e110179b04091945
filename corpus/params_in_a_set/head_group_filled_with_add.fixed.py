# Two-stage training: the new head's parameters are gathered into a set with .add and added as a
# param group of their own; add_param_group refuses a set ("organized in ordered collections").
import torch
import torch.nn as nn

torch.manual_seed(0)

backbone = nn.Sequential(nn.Linear(6, 24), nn.ReLU(), nn.Linear(24, 24), nn.ReLU())
head = nn.Linear(24, 2)
optimizer = torch.optim.SGD(backbone.parameters(), lr=0.05, momentum=0.9)

head_params = []
for param in head.parameters():
    head_params.append(param)
optimizer.add_param_group({"params": head_params, "lr": 0.1})

x = torch.randn(48, 6)
y = torch.randint(0, 2, (48,))
for step in range(5):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(head(backbone(x)), y)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
