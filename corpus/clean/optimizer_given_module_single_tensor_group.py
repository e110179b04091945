"""A single tensor handed to optimizers in the forms torch accepts: as the "params" of a
parameter group (torch puts it in a list itself), and in a list of its own."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class PromptedClassifier(nn.Module):
    def __init__(self, dim=12, classes=3):
        super().__init__()
        self.ctx = nn.Parameter(torch.randn(dim) * 0.02)
        self.body = nn.Linear(dim, classes)

    def forward(self, x):
        return self.body(x + self.ctx)


torch.manual_seed(0)
model = PromptedClassifier()
log_scale = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD(
    [{"params": model.ctx, "lr": 0.1}, {"params": model.body.parameters()}], lr=0.05, momentum=0.9
)
scale_optimizer = torch.optim.Adam([log_scale], lr=0.01)
x, y = torch.randn(96, 12), torch.randint(0, 3, (96,))
for step in range(6):
    loss = F.cross_entropy(model(x) * log_scale.exp(), y)
    optimizer.zero_grad()
    scale_optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scale_optimizer.step()
    print(step, round(loss.item(), 4))
