"""FitNets-style distillation: a wide teacher CNN into a thin student on synthetic 1-D spectra.

A forward hook on the student's middle block projects its feature map to the teacher's width
(a learned 1x1 conv) and keeps it for the hint loss; the teacher's matching block is captured the
same way. The student is run with .forward so its `return_logits_only` switch can be passed.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
N_CLASSES, LENGTH = 5, 64


def spectra(n, gen):
    y = torch.randint(0, N_CLASSES, (n,), generator=gen)
    grid = torch.linspace(0, 1, LENGTH)
    centers = 0.15 + 0.17 * y.float()
    x = torch.exp(-((grid[None] - centers[:, None]) / 0.05) ** 2)
    x = x + 0.3 * torch.exp(-((grid[None] - (1 - centers[:, None])) / 0.08) ** 2)
    return (x + 0.15 * torch.randn(n, LENGTH, generator=gen)).unsqueeze(1), y


def conv_block(c_in, c_out):
    return nn.Sequential(nn.Conv1d(c_in, c_out, 5, padding=2), nn.BatchNorm1d(c_out), nn.ReLU(), nn.MaxPool1d(2))


class Net(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.blocks = nn.Sequential(*[conv_block(a, b) for a, b in zip((1,) + widths[:-1], widths)])
        self.fc = nn.Linear(widths[-1], N_CLASSES)

    def forward(self, x, return_logits_only=True):
        feats = self.blocks(x)
        logits = self.fc(feats.mean(-1))
        return logits if return_logits_only else (logits, feats)


teacher = Net((32, 64, 64))
student = Net((8, 16, 16))
projector = nn.Conv1d(16, 64, kernel_size=1)
captured = {}


def keep_teacher(module, inputs, output):
    captured["teacher"] = output


def keep_student(module, inputs, output):
    captured["student"] = projector(output)


teacher.blocks[1].register_forward_hook(keep_teacher)
student.blocks[1].register_forward_hook(keep_student)

gen = torch.Generator().manual_seed(6)
x, y = spectra(1200, gen)

opt_t = torch.optim.Adam(teacher.parameters(), lr=3e-3)
for epoch in range(2):
    for i in range(0, 1200, 100):
        loss = F.cross_entropy(teacher(x[i:i + 100]), y[i:i + 100])
        opt_t.zero_grad()
        loss.backward()
        opt_t.step()
teacher.eval()
print(f"teacher loss {loss.item():.3f}")

opt_s = torch.optim.Adam([*student.parameters(), *projector.parameters()], lr=3e-3)
T, alpha, beta = 4.0, 0.7, 0.5
for epoch in range(3):
    for i in range(0, 1200, 100):
        xb, yb = x[i:i + 100], y[i:i + 100]
        with torch.no_grad():
            t_logits = teacher(xb)
        s_logits = student.forward(xb, return_logits_only=True)
        kd = F.kl_div(F.log_softmax(s_logits / T, -1), F.softmax(t_logits / T, -1), reduction="batchmean") * T * T
        hint = F.mse_loss(captured["student"], captured["teacher"])
        loss = alpha * kd + (1 - alpha) * F.cross_entropy(s_logits, yb) + beta * hint
        opt_s.zero_grad()
        loss.backward()
        opt_s.step()
    print(f"student epoch {epoch}: loss {loss.item():.3f} hint {hint.item():.3f}")
