# Fine-tune a frozen regression layer with a LoRA adapter, in mixed precision.
import torch
import torch.nn as nn

from layers import LoRAAdapter

torch.manual_seed(0)

base = nn.Linear(24, 6)
base.requires_grad_(False)
adapter = LoRAAdapter(base, rank=4)
optimizer = torch.optim.Adam(adapter.parameters(), lr=1e-2)
scaler = torch.amp.GradScaler("cpu")

x = torch.randn(128, 24)
y = x[:, :6] * 0.5 + 0.1
for step in range(10):
    optimizer.zero_grad()
    with torch.autocast("cpu", dtype=torch.float16):
        loss = nn.functional.mse_loss(adapter(x).float(), y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    print(step, round(loss.item(), 5))
