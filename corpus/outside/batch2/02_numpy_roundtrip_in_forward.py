# Report: https://github.com/kevinzakka/recurrent-visual-attention/issues/4
# What goes wrong: the features are scaled with NumPy inside forward() (detach().numpy() ->
# torch.from_numpy), which cuts the autograd graph, so the feature extractor never gets a gradient.
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class SignalClassifier(nn.Module):
    def __init__(self, in_dim=32, feat_dim=16, n_classes=4):
        super().__init__()
        self.extractor = nn.Sequential(
            nn.Linear(in_dim, 64), nn.Tanh(), nn.Linear(64, feat_dim)
        )
        self.head = nn.Linear(feat_dim, n_classes)

    @staticmethod
    def robust_scale(feats):
        # median / IQR scaling per feature, written with numpy
        arr = feats.detach().cpu().numpy()
        med = np.median(arr, axis=0, keepdims=True)
        q75, q25 = np.percentile(arr, [75, 25], axis=0, keepdims=True)
        arr = (arr - med) / (q75 - q25 + 1e-6)
        return torch.from_numpy(arr.astype(np.float32))

    def forward(self, x):
        feats = self.extractor(x)
        feats = self.robust_scale(feats)
        return self.head(feats)


def synthetic_signals(n=600, in_dim=32, n_classes=4):
    t = torch.linspace(0, 1, in_dim)
    y = torch.randint(0, n_classes, (n,))
    freq = (y.float() + 1.0).unsqueeze(1) * 3.0
    x = torch.sin(2 * np.pi * freq * t) + 0.3 * torch.randn(n, in_dim)
    return TensorDataset(x, y)


def train(model, loader, epochs=6):
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"epoch {epoch}  mean loss {total / len(loader):.4f}")


if __name__ == "__main__":
    torch.manual_seed(1)
    loader = DataLoader(synthetic_signals(), batch_size=50, shuffle=True)
    model = SignalClassifier()
    train(model, loader)
