# Knowledge distillation at temperature 1 over ten classes, with a fixed class prior mixed into
# the soft targets. The prior is a buffer of shape (1, 10) normalised with softmax over dim=0 (its
# size-1 batch dimension): a constant, but no trainable parameter is behind it, and the student's
# softmax runs over its ten classes.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

teacher = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 10))
student = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 10))
teacher.eval()


class PriorMix(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("prior_logits", torch.zeros(1, 10))

    def forward(self, soft_targets):
        prior = F.softmax(self.prior_logits, dim=0)
        return 0.9 * soft_targets + 0.1 * prior / prior.sum()


mix = PriorMix()
optimizer = torch.optim.Adam(student.parameters(), lr=1e-3)
data = torch.randn(640, 20)
for epoch in range(3):
    for i in range(0, 640, 64):
        x = data[i:i + 64]
        with torch.no_grad():
            targets = mix(F.softmax(teacher(x), dim=1))
        log_p = F.log_softmax(student(x), dim=1)
        loss = F.kl_div(log_p, targets, reduction="batchmean")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
