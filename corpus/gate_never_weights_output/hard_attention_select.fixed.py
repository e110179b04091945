"""Hard attention: pick one of K candidate region features per image with a learned scorer."""
import torch
from torch import nn, optim

torch.manual_seed(1)
B, K, D, CLASSES = 16, 6, 12, 3


class HardAttentionClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.region = nn.Linear(D, D)
        self.scorer = nn.Sequential(nn.Linear(D, 16), nn.Tanh(), nn.Linear(16, 1, bias=False))
        self.head = nn.Linear(D, CLASSES)

    def forward(self, regions):
        feats = torch.relu(self.region(regions))
        scores = self.scorer(feats).squeeze(-1)
        gate_prob, picked = scores.softmax(dim=1).max(dim=1)
        pooled = feats.new_zeros(feats.size(0), feats.size(2))
        for b in range(feats.size(0)):
            pooled[b] = feats[b, picked[b]] * gate_prob[b]
        return self.head(pooled)


def batch():
    regions = torch.randn(B, K, D)
    labels = (regions[:, 0, 0] > 0).long() + (regions[:, 1, 1] > 0).long()
    return regions, labels


net = HardAttentionClassifier()
optimizer = optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()
for epoch in range(3):
    for it in range(8):
        regions, labels = batch()
        optimizer.zero_grad()
        loss = criterion(net(regions), labels)
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
