# Fine-tuning with discriminative learning rates: each parameter group has its own schedule.
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LambdaLR

torch.manual_seed(0)
TOTAL_EPOCHS = 10

backbone = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
head = nn.Linear(64, 4)
optimizer = torch.optim.SGD(
    [{"params": backbone.parameters(), "lr": 1e-3}, {"params": head.parameters(), "lr": 1e-2}],
    momentum=0.9,
)
# the backbone warms up linearly over the run, the head trains at its full rate from the start
scheduler = LambdaLR(optimizer, lr_lambda=[lambda e: e // TOTAL_EPOCHS, lambda e: 1.0])

x = torch.randn(160, 16)
y = (x[:, :4] > 0).sum(1) % 4
for epoch in range(TOTAL_EPOCHS):
    for i in range(0, 160, 40):
        loss = nn.functional.cross_entropy(head(backbone(x[i:i + 40])), y[i:i + 40])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(epoch, round(loss.item(), 4), scheduler.get_last_lr())
