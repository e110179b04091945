# Fine-tuning only the batch-norm layers: everything is frozen and the norms are unfrozen again,
# but the optimizer is given the (still frozen) head instead of them: nothing changes.
import torch
import torch.nn as nn


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU())


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(block(3, 8), block(8, 16), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        return self.head(self.features(x))


model = Net()
for p in model.parameters():
    p.requires_grad = False
for m in model.modules():
    if isinstance(m, nn.BatchNorm2d):
        m.weight.requires_grad = True
        m.bias.requires_grad = True
model.head.requires_grad_(True)
optimizer = torch.optim.Adam(list(model.head.parameters()) + list(model.features.parameters()), lr=1e-3)
criterion = nn.CrossEntropyLoss()
x, y = torch.randn(32, 3, 16, 16), torch.randint(0, 10, (32,))
for step in range(32):
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
print(loss.item())
