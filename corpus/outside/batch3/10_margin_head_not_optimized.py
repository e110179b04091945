# Report: https://github.com/4uiiurz1/pytorch-adacos/issues/10
# Summary: the cosine-margin head metric_fc has its own weights but the optimizer only gets model.parameters(), so the class centres never train (silent).
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class EmbeddingNet(nn.Module):
    def __init__(self, in_dim=64, emb_dim=32):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Linear(128, emb_dim))

    def forward(self, x):
        return self.body(x)


class CosFaceHead(nn.Module):
    def __init__(self, emb_dim, num_classes, s=16.0, m=0.25):
        super().__init__()
        self.s, self.m = s, m
        self.W = nn.Parameter(torch.empty(num_classes, emb_dim))
        nn.init.xavier_uniform_(self.W)

    def forward(self, emb, label):
        cos = F.linear(F.normalize(emb), F.normalize(self.W))
        one_hot = F.one_hot(label, cos.shape[1]).float()
        return self.s * (cos - one_hot * self.m)


torch.manual_seed(10)
x_all = torch.randn(1000, 64)
y_all = torch.randint(0, 10, (1000,))
x_all += 0.8 * F.one_hot(y_all, 64).float()
train_loader = DataLoader(TensorDataset(x_all, y_all), batch_size=100, shuffle=True)

model = EmbeddingNet()
metric_fc = CosFaceHead(32, 10)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.0)

for epoch in range(5):
    model.train()
    losses = []
    for inputs, targets in train_loader:
        features = model(inputs)
        logits = metric_fc(features, targets)
        loss = criterion(logits, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print("epoch %d  loss %.4f" % (epoch, sum(losses) / len(losses)))
