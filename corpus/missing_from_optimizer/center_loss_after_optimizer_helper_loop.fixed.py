"""Person re-identification with softmax + center loss; the center loss is set up after the optimizer."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CenterLoss(nn.Module):
    def __init__(self, num_classes, feat_dim):
        super().__init__()
        self.centers = nn.Parameter(torch.randn(num_classes, feat_dim))

    def forward(self, feats, labels):
        return ((feats - self.centers[labels]) ** 2).sum(1).mean() / 2


class ReIDNet(nn.Module):
    def __init__(self, feat_dim=12, num_ids=6):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(40, 32), nn.ReLU(), nn.Linear(32, feat_dim))
        self.classifier = nn.Linear(feat_dim, num_ids)

    def forward(self, x):
        f = self.features(x)
        return f, self.classifier(f)


def train_epoch(model, center_loss, optimizer, batches, weight=0.01):
    for x, y in batches:
        feats, logits = model(x)
        loss = F.cross_entropy(logits, y) + weight * center_loss(feats, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


torch.manual_seed(0)
model = ReIDNet()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
center_loss = CenterLoss(num_classes=6, feat_dim=12)
optimizer.add_param_group({"params": center_loss.parameters()})
data = [(torch.randn(24, 40), torch.randint(0, 6, (24,))) for _ in range(4)]
for epoch in range(3):
    print("epoch", epoch, train_epoch(model, center_loss, optimizer, data))
