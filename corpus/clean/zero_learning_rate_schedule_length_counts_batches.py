"""A linear warm-up/decay schedule stepped per batch whose length counts the batches of every
epoch (`EPOCHS * len(loader)`): the rate reaches 0 only when training ends."""
import torch
import torch.nn as nn

torch.manual_seed(0)
EPOCHS = 30

model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
loader = [(torch.randn(16, 16), torch.randint(0, 4, (16,))) for _ in range(8)]
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=EPOCHS * len(loader))

for epoch in range(EPOCHS):
    for x, y in loader:
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
