"""Image classifier with optional mixed precision: the scaler steps the optimizer when AMP is on,
the plain step runs otherwise; one of the two branches runs on every batch."""
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--amp", action="store_true")
parser.add_argument("--epochs", type=int, default=3)
args = parser.parse_args()

torch.manual_seed(5)
model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, 5))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scaler = torch.amp.GradScaler("cpu") if args.amp else None
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
images, labels = torch.randn(32, 3, 8, 8), torch.randint(0, 5, (32,))

for epoch in range(args.epochs):
    for x, y in zip(images.chunk(4), labels.chunk(4)):
        optimizer.zero_grad()
        with torch.autocast("cpu", enabled=args.amp):
            loss = nn.functional.cross_entropy(model(x), y)
        if scaler:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
    scheduler.step()
    print(epoch, loss.item())
