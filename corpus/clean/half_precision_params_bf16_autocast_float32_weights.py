"""Mixed precision done right: the weights (and AdamW's state) stay float32, and autocast runs the
matrix products in bfloat16; LayerNorm gains of 1.0 move by AdamW's small steps."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Embedding(64, 32), nn.LayerNorm(32), nn.Linear(32, 64), nn.GELU(), nn.LayerNorm(64), nn.Linear(64, 64))
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.0)
data = torch.randint(0, 64, (64, 17))
for step in range(30):
    batch = data[torch.randint(0, 64, (16,))]
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        logits = model(batch[:, :-1])
    loss = F.cross_entropy(logits.float().flatten(0, 1), batch[:, 1:].flatten())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.3f}")
