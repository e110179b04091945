"""Knowledge distillation with config-built optimizers: one optimizer per model in MODELS, as the
training framework does for every model it is given. The teacher is loaded from its checkpoint
and frozen on purpose, so its optimizer never steps; only the student trains."""
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
CHECKPOINT = os.path.join(tempfile.mkdtemp(), "teacher.pt")


def wide():
    return nn.Sequential(nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def narrow():
    return nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))


# the teacher's checkpoint, as a previous run saved it
torch.save(wide().state_dict(), CHECKPOINT)

teacher, student = wide(), narrow()
teacher.load_state_dict(torch.load(CHECKPOINT))
teacher.eval().requires_grad_(False)

MODELS = {"teacher": teacher, "student": student}
optimizers = {name: torch.optim.AdamW(model.parameters(), lr=1e-3) for name, model in MODELS.items()}

x = torch.randn(1024, 32)
for epoch in range(5):
    for i in range(0, 1024, 128):
        xb = x[i:i + 128]
        with torch.no_grad():
            soft = F.softmax(teacher(xb) / 4.0, dim=-1)
        loss = F.kl_div(F.log_softmax(student(xb) / 4.0, dim=-1), soft, reduction="batchmean") * 16
        for name, model in MODELS.items():
            if model.training:
                optimizers[name].zero_grad()
        loss.backward()
        for name, model in MODELS.items():
            if model.training:
                optimizers[name].step()
    print(f"epoch {epoch}: kd loss {loss.item():.4f}")
