"""Knowledge distillation: the frozen teacher is run through a reentrant checkpoint on the raw
batch (its activations are not kept); it has no gradient to get. The student trains as usual."""
import torch
from torch import nn
from torch.nn import functional as F
import torch.utils.checkpoint as cp

torch.manual_seed(0)

teacher = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 4))
teacher.load_state_dict({k: v * 1.5 for k, v in teacher.state_dict().items()})  # stands for trained weights
for p in teacher.parameters():
    p.requires_grad = False

student = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 4))
optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)
T = 2.0

for step in range(50):
    x = torch.randn(64, 20)
    soft_targets = cp.checkpoint(teacher, x, use_reentrant=True)
    logits = student(x)
    loss = F.kl_div(F.log_softmax(logits / T, -1), F.softmax(soft_targets / T, -1), reduction="batchmean") * T * T
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(step, loss.item())
