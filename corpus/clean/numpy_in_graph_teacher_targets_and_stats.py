"""Distillation with targets shaped in NumPy from a frozen teacher (under no_grad), and a running
feature statistic kept for monitoring: both round trips through NumPy are meant, the student's
path to the loss stays in torch."""
import numpy as np
import torch
import torch.nn as nn


class Student(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(10, 24), nn.Tanh())
        self.head = nn.Linear(24, 4)
        self.register_buffer("feature_median", torch.zeros(24))

    def forward(self, x):
        h = self.encoder(x)
        # monitoring only: a constant, not on the way to the loss
        self.feature_median = torch.from_numpy(np.median(h.detach().numpy(), axis=0))
        return self.head(h)


def teacher_targets(teacher, x, temperature=2.0):
    with torch.no_grad():
        logits = teacher(x).numpy() / temperature
    logits = np.clip(logits, -20, 20)
    probs = np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)
    return torch.from_numpy(probs.astype(np.float32))


if __name__ == "__main__":
    torch.manual_seed(0)
    teacher = nn.Sequential(nn.Linear(10, 4))
    teacher.requires_grad_(False)
    student = Student()
    optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
    x = torch.randn(320, 10)
    targets = teacher_targets(teacher, x)
    for epoch in range(20):
        log_probs = torch.log_softmax(student(x), dim=1)
        loss = -(targets * log_probs).sum(dim=1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print("loss", loss.item(), "median", float(student.feature_median.mean()))
