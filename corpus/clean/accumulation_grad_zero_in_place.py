import torch
import torch.nn as nn
import torch.nn.functional as F


def zero_gradients(module):
    for p in module.parameters():
        if p.grad is not None:
            p.grad.detach_()
            p.grad.zero_()


def train(model, optimizer, x, y, epochs=3):
    for epoch in range(epochs):
        for start in range(0, len(x), 32):
            zero_gradients(model)
            logits = model(x[start : start + 32])
            loss = F.cross_entropy(logits, y[start : start + 32])
            loss.backward()
            optimizer.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    torch.manual_seed(12)
    net = nn.Sequential(nn.Linear(10, 20), nn.LayerNorm(20), nn.ReLU(), nn.Linear(20, 5))
    train(net, torch.optim.SGD(net.parameters(), lr=0.1, weight_decay=5e-4), torch.randn(256, 10), torch.randint(0, 5, (256,)))
