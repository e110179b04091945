"""Multi-task learning: one shared trunk, a classification head and a regression head. Each task
loss gets its own backward() before the optimizer step."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class MultiTaskNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.cls_head = nn.Linear(32, 3)
        self.reg_head = nn.Linear(32, 1)

    def forward(self, x):
        features = self.trunk(x)
        return self.cls_head(features), self.reg_head(features).squeeze(-1)


model = MultiTaskNet()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
x = torch.randn(128, 10)
labels = torch.randint(0, 3, (128,))
targets = x[:, 0] * 2.0 - x[:, 1]

for epoch in range(5):
    for i in range(0, 128, 32):
        logits, value = model(x[i : i + 32])
        cls_loss = F.cross_entropy(logits, labels[i : i + 32])
        reg_loss = F.mse_loss(value, targets[i : i + 32])
        optimizer.zero_grad()
        cls_loss.backward()
        (0.5 * reg_loss).backward()
        optimizer.step()
    print(epoch, cls_loss.item(), reg_loss.item())
