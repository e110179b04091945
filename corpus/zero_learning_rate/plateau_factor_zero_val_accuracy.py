# MLP on two Gaussian blobs; the rate is cut when validation accuracy stops improving.
import torch
import torch.nn.functional as F
from torch import nn, optim

torch.manual_seed(0)


def make_blobs(n):
    centers = torch.tensor([[-2.0, -2.0], [2.0, 2.0]])
    y = torch.randint(0, 2, (n,))
    return centers[y] + 0.7 * torch.randn(n, 2), y


x_train, y_train = make_blobs(400)
x_val, y_val = make_blobs(80)

net = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
opt = optim.RMSprop(net.parameters(), lr=1e-2)
plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.0, patience=0)

for epoch in range(20):
    net.train()
    perm = torch.randperm(len(x_train))
    for i in range(0, len(x_train), 100):
        idx = perm[i:i + 100]
        loss = F.cross_entropy(net(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        val_acc = (net(x_val).argmax(1) == y_val).float().mean().item()
    plateau.step(val_acc)
    print(f"epoch {epoch}: loss {loss.item():.4f} val_acc {val_acc:.3f}")
