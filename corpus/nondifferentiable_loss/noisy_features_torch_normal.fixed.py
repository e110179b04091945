import torch as T
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

FEATURE_NOISE = 0.05


class NoisyFeatureClassifier(nn.Module):
    """Gaussian noise on the projected features regularises the classifier head."""

    def __init__(self, n_in=20, n_feat=16, n_cls=3):
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(n_in, n_feat), nn.GELU())
        self.head = nn.Linear(n_feat, n_cls)

    def forward(self, x):
        feats = self.proj(x)
        if self.training:
            feats = feats + FEATURE_NOISE * T.randn_like(feats)
        return self.head(feats)


T.manual_seed(3)
x = T.randn(600, 20)
y = (x[:, :3].sum(1) > 0).long() + (x[:, 3] > 1).long()
loader = DataLoader(TensorDataset(x, y), batch_size=40, shuffle=True)
net = NoisyFeatureClassifier()
optim = T.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for epoch in range(3):
    net.train()
    for xb, yb in loader:
        optim.zero_grad()
        loss = F.cross_entropy(net(xb), yb)
        loss.backward()
        optim.step()
    net.eval()
    with T.no_grad():
        acc = (net(x).argmax(1) == y).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.3f} acc {acc:.3f}")
