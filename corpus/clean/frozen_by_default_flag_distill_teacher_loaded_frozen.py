# Knowledge distillation for a digit-like classifier on synthetic 8x8 images: a wide teacher
# restored from its checkpoint guides a small student, trained with SGD on a blend of the
# temperature-softened teacher targets and the true labels.
import torch
from torch import nn

torch.manual_seed(0)
N_CLASSES, TEMPERATURE = 5, 3.0


def mlp(hidden):
    return nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, N_CLASSES))


def load_checkpoint(model, state, trainable=False):
    """Copy ``state`` into ``model``; loaded models are for inference unless asked otherwise."""
    model.load_state_dict(state)
    model.train(trainable)
    for p in model.parameters():
        p.requires_grad_(trainable)
    return model


def synthetic_digits(n):
    labels = torch.randint(0, N_CLASSES, (n,))
    prototypes = torch.randn(N_CLASSES, 8, 8, generator=torch.Generator().manual_seed(1))
    return prototypes[labels] + 0.5 * torch.randn(n, 8, 8), labels


teacher_checkpoint = mlp(256).state_dict()
teacher = load_checkpoint(mlp(256), teacher_checkpoint)
student = mlp(32)
optimizer = torch.optim.SGD(student.parameters(), lr=0.05, momentum=0.9)

images, labels = synthetic_digits(800)
for epoch in range(4):
    for i in range(0, 800, 64):
        x, y = images[i:i + 64], labels[i:i + 64]
        with torch.no_grad():
            soft_targets = (teacher(x) / TEMPERATURE).softmax(1)
        logits = student(x)
        student_log_probs = (logits / TEMPERATURE).log_softmax(1)
        distill = nn.functional.kl_div(student_log_probs, soft_targets, reduction="batchmean")
        loss = 0.7 * distill * TEMPERATURE ** 2 + 0.3 * nn.functional.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
