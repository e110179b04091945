"""Parameter groups written down before the head was swapped, and refreshed from the model
before the optimizer is built: the optimizer holds the live head."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(12, 32), nn.ReLU())
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        return self.head(self.backbone(x))


torch.manual_seed(0)
model = Encoder(classes=10)
param_groups = {
    "backbone": {"params": model.backbone.parameters(), "lr": 1e-3},
    "head": {"params": model.head.parameters(), "lr": 1e-2},
}
model.head = nn.Linear(32, 4)
# the head is new: its group must hold the new parameters
param_groups["head"]["params"] = model.head.parameters()
optimizer = torch.optim.SGD(param_groups.values(), momentum=0.9)

x = torch.randn(48, 12)
y = torch.randint(0, 4, (48,))
for step in range(10):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
print(loss.item())
