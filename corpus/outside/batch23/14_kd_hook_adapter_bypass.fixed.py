# Report: https://github.com/pytorch/pytorch/issues/117925
# A module hook never fired because the module was run with .forward(...) instead of being
# called; a commenter quotes the docs: calling forward() directly silently ignores the hooks.
"""Knowledge distillation into a frozen compact backbone + a hook-installed residual adapter.

The adapter is attached with a forward hook so that the backbone code stays untouched.
Runs under bfloat16 autocast on CPU (float32 master weights).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
IN_DIM, N_CLASSES, T, ALPHA = 32, 5, 4.0, 0.7
AMP_DTYPE = torch.bfloat16


def make_split(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, IN_DIM, generator=g)
    w = torch.randn(IN_DIM, N_CLASSES, generator=torch.Generator().manual_seed(11))
    y = (torch.tanh(x) @ w + 0.3 * x[:, :N_CLASSES] ** 2).argmax(1)
    return x, y


class Teacher(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(IN_DIM, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                                 nn.Linear(256, N_CLASSES))

    def forward(self, x):
        return self.net(x)


class CompactBackbone(nn.Module):
    def __init__(self, width=48):
        super().__init__()
        self.stem = nn.Linear(IN_DIM, width)
        self.block = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.GELU())
        self.width = width

    def forward(self, x, normalize=True):
        h = self.stem(x)
        h = h + self.block(h)
        return F.layer_norm(h, (self.width,)) if normalize else h


class Adapter(nn.Module):
    def __init__(self, width, bottleneck=16):
        super().__init__()
        self.down = nn.Linear(width, bottleneck)
        self.up = nn.Linear(bottleneck, width)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, h):
        return self.up(F.gelu(self.down(h)))


class Student(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = CompactBackbone()
        self.adapter = Adapter(self.backbone.width)
        self.head = nn.Linear(self.backbone.width, N_CLASSES)
        self.backbone.register_forward_hook(self._adapt)

    def _adapt(self, module, inputs, output):
        return output + self.adapter(output)

    def forward(self, x):
        feats = self.backbone(x, normalize=True)
        return self.head(feats)


def kd_loss(s_logits, t_logits, y):
    soft = F.kl_div(F.log_softmax(s_logits / T, 1), F.softmax(t_logits / T, 1),
                    reduction="batchmean") * T * T
    return ALPHA * soft + (1 - ALPHA) * F.cross_entropy(s_logits, y)


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    with torch.autocast("cpu", dtype=AMP_DTYPE):
        acc = (model(x).argmax(1) == y).float().mean().item()
    model.train()
    return acc


x_tr, y_tr = make_split(2048, 1)
x_va, y_va = make_split(512, 2)
loader = DataLoader(TensorDataset(x_tr, y_tr), batch_size=128, shuffle=True)

# 1) teacher
teacher = Teacher()
t_opt = torch.optim.Adam(teacher.parameters(), lr=2e-3)
for epoch in range(4):
    for x, y in loader:
        t_opt.zero_grad()
        F.cross_entropy(teacher(x), y).backward()
        t_opt.step()
print(f"teacher val acc {accuracy(teacher, x_va, y_va):.3f}")
teacher.eval().requires_grad_(False)

# 2) student: backbone frozen, adapter + head trained
student = Student()
student.backbone.requires_grad_(False)
trainable = [p for p in student.parameters() if p.requires_grad]
s_opt = torch.optim.AdamW(trainable, lr=3e-3, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.OneCycleLR(s_opt, max_lr=3e-3, total_steps=6 * len(loader))
for epoch in range(6):
    total = 0.0
    for x, y in loader:
        with torch.no_grad():
            t_logits = teacher(x)
        with torch.autocast("cpu", dtype=AMP_DTYPE):
            s_logits = student(x)
        loss = kd_loss(s_logits.float(), t_logits, y)
        s_opt.zero_grad()
        loss.backward()
        s_opt.step()
        sched.step()
        total += loss.item()
    print(f"epoch {epoch}: kd loss {total / len(loader):.4f} "
          f"student val acc {accuracy(student, x_va, y_va):.3f}")
