# A transaction fraud detector: one output logit per transaction, trained with F.cross_entropy
# on the 0/1 labels. Cross-entropy over a single class knows only the class 0, and the first
# fraudulent transaction crashes it: "IndexError: Target 1 is out of bounds."
import torch
import torch.nn.functional as F
from torch import nn, optim

torch.manual_seed(0)


class FraudDetector(nn.Module):
    def __init__(self, n_features=12):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_features, 48), nn.LeakyReLU(0.1), nn.Linear(48, 24), nn.LeakyReLU(0.1))
        self.score = nn.Linear(24, 1)

    def forward(self, transactions):
        return self.score(self.encoder(transactions))


def make_data(n=800):
    x = torch.randn(n, 12)
    y = ((x[:, 2] * x[:, 5] > 0.8) | (x[:, 7] > 1.6)).long()
    return x, y


x_train, y_train = make_data()
detector = FraudDetector()
optimizer = optim.Adam(detector.parameters(), lr=2e-3)

for epoch in range(6):
    order = torch.randperm(len(x_train))
    for start in range(0, len(order), 100):
        batch = order[start:start + 100]
        logits = detector(x_train[batch])
        loss = F.cross_entropy(logits, y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
