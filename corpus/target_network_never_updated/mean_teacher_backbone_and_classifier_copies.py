"""Mean-teacher semi-supervised training: the student is a conv backbone and a linear classifier,
the teacher a deepcopy of each, moved towards the student by an EMA helper after every step."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F


def ema_(teacher, student, decay):
    with torch.no_grad():
        for t, s in zip(teacher.parameters(), student.parameters()):
            t.mul_(decay).add_(s, alpha=1 - decay)


def augment(x):
    return x + 0.1 * torch.randn_like(x)


def main(steps=200, ema_decay=0.99, consistency=1.0):
    torch.manual_seed(0)
    backbone = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )
    classifier = nn.Linear(16, 10)
    teacher_backbone = copy.deepcopy(backbone)
    teacher_classifier = copy.deepcopy(classifier)
    optimizer = torch.optim.SGD([*backbone.parameters(), *classifier.parameters()], lr=0.05, momentum=0.9)

    for step in range(steps):
        labelled, labels = torch.randn(16, 1, 12, 12), torch.randint(0, 10, (16,))
        unlabelled = torch.randn(32, 1, 12, 12)
        supervised = F.cross_entropy(classifier(backbone(augment(labelled))), labels)
        student = classifier(backbone(augment(unlabelled))).softmax(1)
        with torch.no_grad():
            teacher = teacher_classifier(teacher_backbone(augment(unlabelled))).softmax(1)
        loss = supervised + consistency * F.mse_loss(student, teacher)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ema_(teacher_backbone, backbone, ema_decay)
        if step % 50 == 0:
            print(step, loss.item())


if __name__ == "__main__":
    main()
