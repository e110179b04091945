# Compare a narrow and a wide MLP on the same regression task, trained one after the other.
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.rand(400, 3) * 4 - 2
Y = torch.sin(X[:, :1]) * X[:, 1:2] + 0.3 * X[:, 2:]
criterion = nn.MSELoss()


def mlp(width):
    return nn.Sequential(nn.Linear(3, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1))


def train_batch(xb, yb, net, opt):
    opt.zero_grad()
    loss = criterion(net(xb), yb)
    loss.backward()
    optimizer.step()
    return loss.item()


def run(net, opt, epochs=30):
    for epoch in range(epochs):
        perm = torch.randperm(len(X))
        losses = [train_batch(X[idx], Y[idx], net, opt) for idx in perm.split(50)]
    return sum(losses) / len(losses)


narrow = mlp(8)
optimizer = torch.optim.Adam(narrow.parameters(), lr=1e-2)
print("narrow:", run(narrow, optimizer))

wide = mlp(128)
wide_optimizer = torch.optim.Adam(wide.parameters(), lr=1e-3)
print("wide:", run(wide, wide_optimizer))
