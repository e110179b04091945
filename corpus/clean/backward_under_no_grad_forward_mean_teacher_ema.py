"""Mean teacher for semi-supervised classification: the teacher is a second copy of the network,
run under no_grad inside the model's forward and updated only as an exponential moving average
of the student. The optimizer is built over the whole model; the teacher never gets a gradient, so
Adam leaves it to the EMA."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def net():
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2))


class MeanTeacher(nn.Module):
    def __init__(self, decay=0.9):
        super().__init__()
        self.student = net()
        self.teacher = net()
        self.decay = decay
        with torch.no_grad():
            for t, s in zip(self.teacher.parameters(), self.student.parameters()):
                t.copy_(s)

    def forward(self, x, x_noisy):
        logits = self.student(x)
        with torch.no_grad():
            target = F.softmax(self.teacher(x_noisy), dim=-1)
        return logits, target

    @torch.no_grad()
    def update_teacher(self):
        for t, s in zip(self.teacher.parameters(), self.student.parameters()):
            t.mul_(self.decay).add_(s, alpha=1 - self.decay)


def moons(n=64):
    x = torch.randn(n, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    return x, y


torch.manual_seed(0)
model = MeanTeacher()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(100):
    x, y = moons()
    logits, target = model(x, x + 0.1 * torch.randn_like(x))
    labelled = slice(0, 16)
    loss = F.cross_entropy(logits[labelled], y[labelled]) + F.mse_loss(F.softmax(logits, -1), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model.update_teacher()
print("loss", loss.item())
