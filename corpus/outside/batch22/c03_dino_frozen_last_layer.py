# Look-alike (correct script). Pattern from DINO (facebookresearch/dino, main_dino.py): the teacher is a
# frozen EMA copy of the student, its outputs are centred and detached, the weight-normalised last layer
# keeps its norm fixed, and the student's last layer gets its gradients cancelled during the first epoch.
"""DINO-style self-distillation of a small CNN on synthetic images."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
OUT_DIM, EPOCHS, FREEZE_LAST_LAYER_EPOCHS = 64, 4, 1


class Backbone(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.GELU(), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.GELU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.dim = 2 * width

    def forward(self, x):
        return self.net(x)


class DINOHead(nn.Module):
    def __init__(self, in_dim, out_dim, hidden=64, bottleneck=32):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, bottleneck))
        self.last_layer = nn.utils.parametrizations.weight_norm(nn.Linear(bottleneck, out_dim, bias=False))
        with torch.no_grad():
            self.last_layer.parametrizations.weight.original0.fill_(1.0)
        self.last_layer.parametrizations.weight.original0.requires_grad = False

    def forward(self, x):
        x = F.normalize(self.mlp(x), dim=-1)
        return self.last_layer(x)


class MultiCrop(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x):
        return self.head(self.backbone(x))


class DINOLoss(nn.Module):
    def __init__(self, out_dim, student_temp=0.1, teacher_temp=0.04, center_momentum=0.9):
        super().__init__()
        self.student_temp, self.teacher_temp, self.center_momentum = student_temp, teacher_temp, center_momentum
        self.register_buffer("center", torch.zeros(1, out_dim))

    def forward(self, student_out, teacher_out):
        t = F.softmax((teacher_out - self.center) / self.teacher_temp, dim=-1).detach()
        s = F.log_softmax(student_out / self.student_temp, dim=-1)
        loss = torch.sum(-t * s, dim=-1).mean()
        self.update_center(teacher_out)
        return loss

    @torch.no_grad()
    def update_center(self, teacher_out):
        batch_center = teacher_out.mean(dim=0, keepdim=True)
        self.center.mul_(self.center_momentum).add_(batch_center * (1 - self.center_momentum))


def cancel_gradients_last_layer(epoch, model, freeze_epochs):
    if epoch >= freeze_epochs:
        return
    for name, p in model.named_parameters():
        if "last_layer" in name:
            p.grad = None


def augment(x):
    x = torch.where(torch.rand(x.shape[0], 1, 1, 1) < 0.5, x.flip(-1), x)
    x = x * (0.8 + 0.4 * torch.rand(x.shape[0], 3, 1, 1))
    return x + 0.05 * torch.randn_like(x)


def make_images(n=512, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = 0.1 * torch.rand(n, 3, 16, 16, generator=g)
    for i in range(n):
        r, c = torch.randint(0, 12, (2,), generator=g).tolist()
        x[i, :, r:r + 4, c:c + 4] += torch.rand(3, 1, 1, generator=g)
    return x


student = MultiCrop(Backbone(), DINOHead(32, OUT_DIM)).to(device)
teacher = copy.deepcopy(student)
for p in teacher.parameters():
    p.requires_grad = False
teacher.eval()

criterion = DINOLoss(OUT_DIM).to(device)
params = [p for p in student.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.04)
loader = DataLoader(TensorDataset(make_images()), batch_size=64, shuffle=True, drop_last=True)
momentum_schedule = torch.linspace(0.99, 1.0, EPOCHS * len(loader) + 1)

it = 0
for epoch in range(EPOCHS):
    total = 0.0
    for (x,) in loader:
        v1, v2 = augment(x).to(device), augment(x).to(device)
        with torch.no_grad():
            t1, t2 = teacher(v1), teacher(v2)
        s1, s2 = student(v1), student(v2)
        loss = 0.5 * (criterion(s1, t2) + criterion(s2, t1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 3.0)
        cancel_gradients_last_layer(epoch, student, FREEZE_LAST_LAYER_EPOCHS)
        optimizer.step()
        with torch.no_grad():
            m = momentum_schedule[it].item()
            for ps, pt in zip(student.parameters(), teacher.parameters()):
                pt.mul_(m).add_((1 - m) * ps.detach())
        it += 1
        total += loss.item()
    with torch.no_grad():
        probs = F.softmax(teacher(make_images(128, 1).to(device)) / 0.04, dim=-1)
        used = probs.argmax(-1).unique().numel()
    print(f"epoch {epoch}: loss {total / len(loader):.4f}  teacher prototypes in use: {used}/{OUT_DIM}")
