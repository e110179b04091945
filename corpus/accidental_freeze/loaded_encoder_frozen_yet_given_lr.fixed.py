"""Fine-tune a pretrained encoder with discriminative learning rates (encoder slow, head fast).

The freezing loop was left over from a linear-probe experiment.
"""
import io

import torch
import torch.nn as nn

torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
checkpoint = io.BytesIO()
torch.save(nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU()).state_dict(), checkpoint)
checkpoint.seek(0)
encoder.load_state_dict(torch.load(checkpoint))
head = nn.Linear(64, 2)

optimizer = torch.optim.SGD(
    [
        {"params": encoder.parameters(), "lr": 1e-3},
        {"params": head.parameters(), "lr": 1e-2},
    ],
    momentum=0.9,
)
x = torch.randn(200, 30)
y = (x[:, :3].sum(1) > 0).long()
for epoch in range(3):
    for i in range(0, 200, 50):
        logits = head(encoder(x[i:i + 50]))
        loss = nn.functional.cross_entropy(logits, y[i:i + 50])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
