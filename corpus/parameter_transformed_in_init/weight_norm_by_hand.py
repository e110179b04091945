# An MLP classifier whose linear layers are weight-normalised by hand (Salimans & Kingma):
# w = g * v / ||v||, with the direction v and the gain g trained separately.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class WNLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.v = nn.Parameter(torch.randn(out_features, in_features) * 0.05)
        self.g = nn.Parameter(torch.ones(out_features, 1))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.weight = self.g * self.v / self.v.norm(dim=1, keepdim=True)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


model = nn.Sequential(WNLinear(20, 64), nn.ReLU(), WNLinear(64, 4))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
centers = torch.randn(4, 20) * 2

for epoch in range(4):
    labels = torch.randint(0, 4, (512,))
    inputs = centers[labels] + torch.randn(512, 20)
    for x, y in zip(inputs.split(64), labels.split(64)):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
