import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class CenterLoss(nn.Module):
    def __init__(self, num_classes, feat_dim):
        super().__init__()
        self.centers = nn.Parameter(torch.randn(num_classes, feat_dim))

    def forward(self, features, labels):
        return (features - self.centers[labels]).pow(2).sum(dim=1).mean() / 2


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 6))
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        f = self.features(x)
        return f, self.fc(f)


torch.manual_seed(0)
x = torch.randn(160, 16)
y = torch.randint(0, 4, (160,))

model = Net()
criterion = CenterLoss(num_classes=4, feat_dim=6)
optimizer = optim.SGD(list(model.parameters()) + list(criterion.parameters()), lr=0.05, momentum=0.9)

for step in range(6):
    optimizer.zero_grad()
    feats, logits = model(x)
    loss = F.cross_entropy(logits, y) + 0.05 * criterion(feats, y)
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
