import torch as th
from torch import nn

th.manual_seed(6)
inputs = th.randn(160, 8)
targets = inputs @ th.randn(8, 1) + 0.1 * th.randn(160, 1)

model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = th.optim.Adam(model.parameters(), lr=1e-2)
loss_fn = nn.MSELoss()

for epoch in range(4):
    for i in range(0, 160, 80):
        loss = loss_fn(model(inputs[i : i + 80]), targets[i : i + 80])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    # units that never fire on this data are reset to small weights
    with th.no_grad():
        dead = (th.relu(model[0](inputs)) == 0).all(0)
    with th.no_grad():
        model[0].weight[dead] = 0.01 * th.randn(int(dead.sum()), 8)
    print(epoch, loss.item(), int(dead.sum()))
