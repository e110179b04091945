# MLP with batch norm after each hidden Linear: the Linear's bias is cancelled by the norm's
# mean subtraction, so its gradient is zero (or rounding noise) and plain SGD leaves it as it is.
import torch
import torch.nn as nn

torch.manual_seed(0)
x = torch.randn(256, 12)
y = (x[:, :6].sum(1) > x[:, 6:].sum(1)).long()

model = nn.Sequential(
    nn.Linear(12, 64), nn.BatchNorm1d(64), nn.ReLU(),
    nn.Linear(64, 64), nn.BatchNorm1d(64), nn.ReLU(),
    nn.Linear(64, 2),
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for epoch in range(5):
    for i in range(0, 256, 64):
        loss = nn.functional.cross_entropy(model(x[i:i + 64]), y[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
