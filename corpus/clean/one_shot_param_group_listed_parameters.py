# A wider head takes over after the first stage, and the optimizer's group is pointed at the
# model's parameters again as a list: every zero_grad() and step() reads it, so all of it trains.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
        self.head = nn.Linear(32, classes)

    def forward(self, x):
        return self.head(self.body(x))


def train(model, optimizer, x, y, epochs):
    for epoch in range(epochs):
        for i in range(0, len(x), 16):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[i:i + 16]), y[i:i + 16])
            loss.backward()
            optimizer.step()
    return loss.item()


x = torch.randn(64, 10)
model = Net(classes=2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
print("stage 1", train(model, optimizer, x, (x[:, 0] > 0).long(), epochs=3))

model.head = nn.Linear(32, 4)
optimizer.param_groups[0]["params"] = list(model.parameters())
print("stage 2", train(model, optimizer, x, (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long(), epochs=3))
