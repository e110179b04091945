"""Two-stage fine-tuning done right: the encoder is released with `requires_grad_(True)`."""
import torch
import torch.nn as nn

torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(16, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU())
head = nn.Linear(32, 3)
model = nn.Sequential(encoder, head)
encoder.requires_grad_(False)

optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
x = torch.randn(96, 16)
y = torch.randint(0, 3, (96,))

for epoch in range(4):
    if epoch == 1:
        encoder.requires_grad_(True)
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(epoch, loss.item())
