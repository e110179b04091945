"""A margin loss with class weights, built after the optimizer and added to it as a param group
of its own (no weight decay on the class weights). Correct: the class weights train."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CosMarginLoss(nn.Module):
    def __init__(self, dim, classes, s=10.0, m=0.2):
        super().__init__()
        self.classes = nn.Linear(dim, classes, bias=False)
        self.s, self.m = s, m

    def forward(self, emb, y):
        cos = F.normalize(emb) @ F.normalize(self.classes.weight).t()
        return F.cross_entropy(self.s * (cos - self.m * F.one_hot(y, cos.size(1))), y)


torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 8))
optimizer = torch.optim.SGD(encoder.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
criterion = CosMarginLoss(8, 4)
optimizer.add_param_group({"params": criterion.parameters(), "weight_decay": 0.0})
x, y = torch.randn(80, 20), torch.randint(0, 4, (80,))
for epoch in range(3):
    for i in range(0, 80, 20):
        loss = criterion(encoder(x[i:i + 20]), y[i:i + 20])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
