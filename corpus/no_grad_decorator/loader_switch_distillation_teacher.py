"""Knowledge distillation: a student MLP learns from a pretrained teacher. The teacher's loader
turns autograd off because the teacher is never trained."""
import torch as T
import torch.nn as nn
import torch.nn.functional as F

T.manual_seed(14)


def build_mlp(width):
    return nn.Sequential(nn.Linear(20, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 3))


def load_teacher(width=128):
    T.set_grad_enabled(False)
    teacher = build_mlp(width)
    teacher.load_state_dict({k: T.randn_like(v) * 0.1 for k, v in teacher.state_dict().items()})
    return teacher.eval()


teacher = load_teacher()
student = build_mlp(16)
optimizer = T.optim.AdamW(student.parameters(), lr=5e-3)
temperature = 2.0

inputs = T.randn(160, 20)
for epoch in range(3):
    for batch in inputs.split(40):
        soft_targets = F.softmax(teacher(batch) / temperature, dim=-1)
        log_probs = F.log_softmax(student(batch) / temperature, dim=-1)
        loss = F.kl_div(log_probs, soft_targets, reduction="batchmean") * temperature ** 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: kd loss {loss.item():.4f}")
