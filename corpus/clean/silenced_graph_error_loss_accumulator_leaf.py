# Multi-task regression: the total loss starts from a zero tensor that requires grad, then each
# task's term is added to it.
import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(150, 8)
targets = {"price": x[:, :2].sum(1, keepdim=True), "demand": x[:, 2:5].prod(1, keepdim=True)}


class MultiTask(nn.Module):
    def __init__(self):
        super().__init__()
        self.shared = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.heads = nn.ModuleDict({name: nn.Linear(32, 1) for name in targets})

    def forward(self, x):
        h = self.shared(x)
        return {name: head(h) for name, head in self.heads.items()}


model = MultiTask()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(5):
    for i in range(0, 150, 50):
        outputs = model(x[i:i + 50])
        total = torch.zeros((), requires_grad=True)
        for name, pred in outputs.items():
            total = total + nn.functional.mse_loss(pred, targets[name][i:i + 50])
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    print(epoch, round(total.item(), 4))
