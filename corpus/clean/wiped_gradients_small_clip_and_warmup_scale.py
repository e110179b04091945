# Tight clipping (a tiny positive norm and value) and a gradient warm-up factor that starts at 0:
# the first step applies nothing, every later one trains.
import torch
from torch import nn
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

WARMUP = 4

torch.manual_seed(12)
images = torch.randn(80, 1, 12, 12)
digits = torch.randint(0, 10, (80,))

model = nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 10 * 10, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)

step = 0
for epoch in range(3):
    for start in range(0, 80, 20):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(images[start:start + 20]), digits[start:start + 20])
        loss.backward()
        warmup = min(1.0, step / WARMUP)
        for p in model.parameters():
            p.grad *= warmup
        clip_grad_value_(model.parameters(), 1e-3)
        total = clip_grad_norm_(model.parameters(), max_norm=1e-2)
        optimizer.step()
        step += 1
    print(f"epoch {epoch}: loss {loss.item():.4f} grad norm {total.item():.4f}")
