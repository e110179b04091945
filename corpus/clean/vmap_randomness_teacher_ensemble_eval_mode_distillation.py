# Distils an ensemble of dropout teachers into one small student for a synthetic sensor-fault
# classification task. The three teachers are first trained one after the other in an ordinary
# loop; they are then switched to inference mode, their weights stacked with torch.func, and one
# vectorised call gives every teacher's soft labels, which the student learns to match.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state

CLASSES, FEATURES, TEMPERATURE = 4, 16, 2.0


def teacher():
    return nn.Sequential(
        nn.Linear(FEATURES, 96), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(96, 96), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(96, CLASSES),
    )


torch.manual_seed(13)
centers = torch.randn(CLASSES, FEATURES) * 1.2
y = torch.randint(0, CLASSES, (2000,))
x = centers[y] + torch.randn(2000, FEATURES)
x_train, y_train, x_test, y_test = x[:1600], y[:1600], x[1600:], y[1600:]

teachers = [teacher() for _ in range(3)]
for net in teachers:
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    for step in range(40):
        idx = torch.randint(0, len(x_train), (128,))
        loss = F.cross_entropy(net(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()

params, buffers = stack_module_state(teachers)
params = {k: v.detach() for k, v in params.items()}
skeleton = copy.deepcopy(teachers[0]).to("meta").eval()


def teacher_logits(p, b, inputs):
    return functional_call(skeleton, (p, b), (inputs,))


with torch.no_grad():
    soft = torch.vmap(teacher_logits, in_dims=(0, 0, None))(params, buffers, x_train)
    soft = (soft / TEMPERATURE).softmax(-1).mean(0)

student = nn.Sequential(nn.Linear(FEATURES, 24), nn.ReLU(), nn.Linear(24, CLASSES))
optimizer = torch.optim.Adam(student.parameters(), lr=5e-3)
for epoch in range(6):
    order = torch.randperm(len(x_train))
    for i in range(0, len(order), 128):
        idx = order[i:i + 128]
        log_p = F.log_softmax(student(x_train[idx]) / TEMPERATURE, -1)
        loss = F.kl_div(log_p, soft[idx], reduction="batchmean") * TEMPERATURE ** 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (student(x_test).argmax(-1) == y_test).float().mean().item()
    print(f"epoch {epoch}: distillation loss {loss.item():.4f} student accuracy {accuracy:.3f}")
