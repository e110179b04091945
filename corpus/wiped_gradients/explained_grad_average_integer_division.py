# Gradient accumulation over 4 micro-batches; the summed gradients are averaged before the step.
import torch
import torch.nn as nn

ACCUM_STEPS = 4

torch.manual_seed(7)
x = torch.randn(128, 16)
y = torch.randint(0, 3, (128,))

model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 3))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()

optimizer.zero_grad()
for epoch in range(2):
    for i, start in enumerate(range(0, 128, 8)):
        loss = criterion(model(x[start:start + 8]), y[start:start + 8])
        loss.backward()
        if (i + 1) % ACCUM_STEPS == 0:
            for p in model.parameters():
                p.grad.mul_(1 // ACCUM_STEPS)  # average over the micro-batches
            optimizer.step()
            optimizer.zero_grad()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
