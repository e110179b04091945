# Fine-tuning with two parameter groups: the backbone's rate is 0 on purpose (frozen through the
# optimizer), the head trains at 1e-2. Nothing to report: the head changes.
import torch
import torch.nn as nn

torch.manual_seed(0)
backbone = nn.Sequential(nn.Linear(10, 24), nn.ReLU(), nn.Linear(24, 24), nn.ReLU())
head = nn.Linear(24, 3)
optimizer = torch.optim.SGD(
    [{"params": backbone.parameters(), "lr": 0.0}, {"params": head.parameters(), "lr": 1e-2}],
    momentum=0.9,
)
criterion = nn.CrossEntropyLoss()
features, labels = torch.randn(128, 10), torch.randint(0, 3, (128,))
for step in range(30):
    optimizer.zero_grad()
    loss = criterion(head(backbone(features)), labels)
    loss.backward()
    optimizer.step()
