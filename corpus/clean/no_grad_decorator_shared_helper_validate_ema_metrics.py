# Correct use of @torch.no_grad(): the loss helper shared by training and validation is not
# decorated; validation, the metric helper (logged only) and the EMA update are.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def compute_loss(model, batch):
    x, y = batch
    logits = model(x)
    return F.cross_entropy(logits, y), logits


@torch.no_grad()
def validate(model, batch):
    model.eval()
    loss, logits = compute_loss(model, batch)
    model.train()
    return loss.item(), accuracy(logits, batch[1])


@torch.no_grad()
def accuracy(logits, y):
    return (logits.argmax(1) == y).float().mean().item()


@torch.inference_mode()
def ema_update(ema, model, decay=0.95):
    for e, p in zip(ema.parameters(), model.parameters()):
        e.copy_(decay * e + (1 - decay) * p)


torch.manual_seed(0)
x = torch.randn(200, 8)
y = (x[:, 0] + x[:, 1] ** 2 > 1).long()
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 2))
ema = copy.deepcopy(model)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
print("before:", validate(model, (x[160:], y[160:])))
for epoch in range(5):
    for batch in zip(x[:160].split(40), y[:160].split(40)):
        loss, logits = compute_loss(model, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema_update(ema, model)
        train_acc = accuracy(logits, batch[1])
    print(f"epoch {epoch}: loss {loss.item():.4f} acc {train_acc:.2f} val {validate(ema, (x[160:], y[160:]))}")
