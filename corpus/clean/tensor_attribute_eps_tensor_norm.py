"""A cosine-similarity classifier: features and class weights normalised, with an eps tensor as guard."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CosineHead(nn.Module):
    def __init__(self, dim, n_classes, scale=10.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_classes, dim) * 0.1)
        self.scale = scale
        self.eps = torch.full((1,), 1e-6)

    def forward(self, x):
        x = x / (x.norm(dim=1, keepdim=True) + self.eps)
        w = self.weight / (self.weight.norm(dim=1, keepdim=True) + self.eps)
        return self.scale * x @ w.t()


torch.manual_seed(0)
x = torch.randn(240, 6)
y = torch.argmax(x[:, :3], dim=1)
backbone = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
head = CosineHead(16, 3)
opt = torch.optim.SGD(list(backbone.parameters()) + list(head.parameters()), lr=0.1)
for step in range(40):
    opt.zero_grad()
    loss = F.cross_entropy(head(backbone(x)), y)
    loss.backward()
    opt.step()
print(loss.item())
