# Regression on noisy quadratic data; the epoch's loss total is what gets backpropagated.
import torch
import torch.nn as nn

torch.manual_seed(0)


def make_data(n=128):
    x = torch.linspace(-2, 2, n).unsqueeze(1)
    return x, x ** 2 + 0.1 * torch.randn_like(x)


def train_epoch(net, optimizer, x, y, batch_size=16):
    criterion = nn.MSELoss()
    epoch_loss = torch.tensor(0.0)
    for i in range(0, len(x), batch_size):
        pred = net(x[i : i + batch_size])
        loss = criterion(pred, y[i : i + batch_size])
        epoch_loss = epoch_loss + loss
        optimizer.zero_grad()
        epoch_loss.backward()
        optimizer.step()
    return epoch_loss.item() / (len(x) // batch_size)


net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
x, y = make_data()
for epoch in range(3):
    print(epoch, train_epoch(net, optimizer, x, y))
