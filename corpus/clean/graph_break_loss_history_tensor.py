import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

encoder = nn.Sequential(nn.Linear(10, 16), nn.ReLU())
cls_head = nn.Linear(16, 3)
rec_head = nn.Linear(16, 10)
params = [*encoder.parameters(), *cls_head.parameters(), *rec_head.parameters()]
optimizer = torch.optim.Adam(params, lr=3e-3)

x = torch.randn(128, 10)
y = x[:, :3].argmax(1)
history = []
for step in range(30):
    h = encoder(x)
    terms = [F.cross_entropy(cls_head(h), y), F.mse_loss(rec_head(h), x)]
    loss = torch.stack(terms).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    history.append([t.item() for t in terms])
    if step % 10 == 9:
        recent = torch.tensor(history[-10:]).mean(0)
        print(f"step {step}: ce {recent[0]:.4f} rec {recent[1]:.4f}")
