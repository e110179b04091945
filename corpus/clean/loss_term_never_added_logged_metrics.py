# Correct: values with a graph kept beside the loss only to log them, that reach nothing the loss
# does not: a feature-norm metric of the trained encoder, a validation loss computed with
# gradients on from the same model, and a distillation gap to a frozen teacher.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 4))
teacher = nn.Linear(10, 4)
for p in teacher.parameters():
    p.requires_grad = False
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x_val, y_val = torch.randn(16, 10), torch.randint(0, 4, (16,))
log = {}

for step in range(10):
    x, y = torch.randn(32, 10), torch.randint(0, 4, (32,))
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    feature_norm = model[0](x).norm(dim=-1).mean()
    val_loss = F.cross_entropy(model(x_val), y_val)
    teacher_gap = F.mse_loss(teacher(x), logits)
    log = {"norm": feature_norm.item(), "val": val_loss.detach(), "gap": teacher_gap.data}
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(log)
