"""Mean teacher (Tarvainen & Valpola) on two moons: consistency between student and EMA teacher."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh())
        self.classifier = nn.Linear(64, 2)

    def forward(self, x):
        return self.classifier(self.backbone(x))


def update_ema(ema_model, model, alpha, global_step):
    alpha = min(1 - 1 / (global_step + 1), alpha)
    for ema_param, param in zip(
        list(ema_model.backbone.parameters()) + list(ema_model.classifier.parameters()),
        list(model.backbone.parameters()) + list(model.classifier.parameters()),
    ):
        ema_param.mul_(alpha).add_(param, alpha=1 - alpha)


def two_moons(n):
    t = torch.rand(n) * 3.14159
    upper = torch.rand(n) > 0.5
    x = torch.stack([torch.cos(t) + (~upper) * 1.0, torch.sin(t) * torch.where(upper, 1.0, -1.0) + (~upper) * 0.5], 1)
    return x + 0.1 * torch.randn(n, 2), upper.long()


def train():
    torch.manual_seed(0)
    student = Classifier()
    teacher = copy.deepcopy(student)
    for p in teacher.parameters():
        p.requires_grad_(False)
    opt = torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9)
    labelled_x, labelled_y = two_moons(16)
    step = 0
    for epoch in range(30):
        unlabelled, _ = two_moons(128)
        noisy = unlabelled + 0.05 * torch.randn_like(unlabelled)
        class_loss = F.cross_entropy(student(labelled_x), labelled_y)
        with torch.no_grad():
            teacher_probs = F.softmax(teacher(noisy), dim=1)
        consistency = F.mse_loss(F.softmax(student(unlabelled), dim=1), teacher_probs)
        loss = class_loss + 2.0 * consistency
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        update_ema(teacher, student, 0.99, step)
    x, y = two_moons(256)
    with torch.no_grad():
        print("teacher accuracy", (teacher(x).argmax(1) == y).float().mean().item())


if __name__ == "__main__":
    train()
