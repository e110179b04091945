# A warm-up written by hand: each group's learning rate is set in the group's dict before every
# step. Writing into a param group is fine as long as "params" stays what torch made.
import torch
import torch.nn as nn

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(6, 24), nn.GELU(), nn.Linear(24, 1))
optimizer = torch.optim.SGD(
    [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.05}], lr=0.1
)
bases = [group["lr"] for group in optimizer.param_groups]
x, y = torch.randn(40, 6), torch.randn(40, 1)
for step in range(8):
    for group, base in zip(optimizer.param_groups, bases):
        group["lr"] = base * min(1.0, (step + 1) / 4)
    optimizer.param_groups[0]["weight_decay"] = 1e-4
    optimizer.zero_grad()
    loss = (model(x) - y).pow(2).mean()
    loss.backward()
    optimizer.step()
print(loss.item())
