import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class CenterLoss(nn.Module):
    """Pulls each feature towards a learned center of its class (Wen et al., 2016)."""

    def __init__(self, num_classes, feat_dim):
        super().__init__()
        self.centers = nn.Parameter(torch.randn(num_classes, feat_dim))

    def forward(self, features, labels):
        return ((features - self.centers[labels]) ** 2).sum(dim=1).mean() / 2


class FeatureNet(nn.Module):
    def __init__(self, in_dim=20, feat_dim=8, num_classes=5):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, 64), nn.PReLU(), nn.Linear(64, feat_dim))
        self.classifier = nn.Linear(feat_dim, num_classes)

    def forward(self, x):
        feats = self.body(x)
        return feats, self.classifier(feats)


torch.manual_seed(0)
x = torch.randn(200, 20)
y = torch.randint(0, 5, (200,))

model = FeatureNet()
center_loss = CenterLoss(num_classes=5, feat_dim=8)
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
lam = 0.1

for step in range(6):
    optimizer.zero_grad()
    feats, logits = model(x)
    loss = F.cross_entropy(logits, y) + lam * center_loss(feats, y)
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
