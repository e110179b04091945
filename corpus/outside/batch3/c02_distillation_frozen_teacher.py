# Knowledge distillation: a large frozen teacher provides soft targets for a small student.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

T = 4.0
ALPHA = 0.7

torch.manual_seed(22)
teacher = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 5))
student = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5))

teacher.eval()
teacher.requires_grad_(False)

x = torch.randn(1000, 20)
y = x[:, :5].argmax(dim=1)
loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True)
optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)


def distillation_loss(s_logits, t_logits, labels):
    soft = F.kl_div(F.log_softmax(s_logits / T, dim=1), F.softmax(t_logits / T, dim=1),
                    reduction="batchmean") * T * T
    hard = F.cross_entropy(s_logits, labels)
    return ALPHA * soft + (1 - ALPHA) * hard


for epoch in range(4):
    student.train()
    total = 0.0
    for xb, yb in loader:
        with torch.no_grad():
            t_logits = teacher(xb)
        s_logits = student(xb)
        loss = distillation_loss(s_logits, t_logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: kd loss {total / len(loader):.4f}")
