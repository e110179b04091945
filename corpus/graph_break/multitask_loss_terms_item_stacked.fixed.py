import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class MultiTaskNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(12, 32), nn.ReLU())
        self.cls_head = nn.Linear(32, 3)
        self.reg_head = nn.Linear(32, 1)

    def forward(self, x):
        h = self.trunk(x)
        return self.cls_head(h), self.reg_head(h).squeeze(1)


x = torch.randn(256, 12)
labels = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
targets = x[:, 2] * 2.0 - x[:, 3]

net = MultiTaskNet()
optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
task_weights = torch.tensor([1.0, 0.5])

for epoch in range(10):
    logits, pred = net(x)
    ce = F.cross_entropy(logits, labels)
    mse = F.mse_loss(pred, targets)
    # weigh the two task losses
    loss = torch.stack([ce, mse]) @ task_weights
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: ce {ce.item():.4f} mse {mse.item():.4f}")
