import copy
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Net(nn.Module):
    def __init__(self, d_in=16, hidden=64, n_cls=4):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(0.2),
                                  nn.Linear(hidden, hidden), nn.ReLU())
        self.fc = nn.Linear(hidden, n_cls)

    def forward(self, x):
        return self.fc(self.body(x))


@torch.no_grad()
def update_ema(teacher, student, alpha):
    for t_p, s_p in zip(teacher.parameters(), student.parameters()):
        t_p.mul_(alpha).add_(s_p.detach(), alpha=1 - alpha)
    for t_b, s_b in zip(teacher.buffers(), student.buffers()):
        t_b.copy_(s_b)


def noisy(x):
    return x + 0.2 * torch.randn_like(x)


centers = torch.randn(4, 16) * 1.5
y_all = torch.randint(0, 4, (2000,))
x_all = centers[y_all] + torch.randn(2000, 16)
labeled = torch.arange(40)                 # only 40 labels, the rest is unlabeled
unlabeled = torch.arange(40, 1800)
x_test, y_test = x_all[1800:], y_all[1800:]

student = Net().to(device)
teacher = copy.deepcopy(student)
for p in teacher.parameters():
    p.detach_()
optimizer = torch.optim.Adam(student.parameters(), lr=2e-3)

for step in range(150):
    li = labeled[torch.randint(0, len(labeled), (32,))]
    ui = unlabeled[torch.randint(0, len(unlabeled), (96,))]
    xl, yl, xu = x_all[li].to(device), y_all[li].to(device), x_all[ui].to(device)

    class_loss = F.cross_entropy(student(noisy(xl)), yl)
    with torch.no_grad():
        teacher_probs = F.softmax(teacher(noisy(xu)), dim=1)
    consistency = F.mse_loss(F.softmax(student(noisy(xu)), dim=1), teacher_probs)
    loss = class_loss + min(1.0, step / 80) * 10.0 * consistency

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    update_ema(teacher, student, alpha=min(1 - 1 / (step + 1), 0.99))

    if step % 50 == 49:
        teacher.eval()
        with torch.no_grad():
            acc = (teacher(x_test.to(device)).argmax(1).cpu() == y_test).float().mean().item()
        teacher.train()
        print(f"step {step + 1} loss {loss.item():.3f} teacher test acc {acc:.3f}")
