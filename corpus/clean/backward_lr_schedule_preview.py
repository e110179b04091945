"""Preview the one-cycle schedule before training: step a throwaway optimizer over the model's
parameters (no backward, so nothing moves), record the rates, then train for real."""
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import OneCycleLR

EPOCHS, STEPS_PER_EPOCH = 4, 8

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
criterion = nn.MSELoss()

preview_opt = torch.optim.SGD(model.parameters(), lr=0.1)
preview = OneCycleLR(preview_opt, max_lr=0.1, epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH)
rates = []
for _ in range(EPOCHS * STEPS_PER_EPOCH):
    rates.append(preview.get_last_lr()[0])
    preview_opt.step()
    preview.step()
print("peak rate", max(rates), "final rate", rates[-1])

optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = OneCycleLR(optimizer, max_lr=0.1, epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH)
x, y = torch.randn(128, 8), torch.randn(128, 1)
for epoch in range(EPOCHS):
    for xb, yb in zip(x.split(16), y.split(16)):
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        scheduler.step()
    print(epoch, loss.item())
