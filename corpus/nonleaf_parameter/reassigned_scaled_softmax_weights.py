# Multinomial logistic regression written by hand, as in a from-scratch tutorial: the weights are
# made trainable, then scaled down for a small initialisation.
import math

import torch
import torch.nn.functional as F


def make_data(n=512, features=20, classes=4):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, features, generator=g)
    true_w = torch.randn(features, classes, generator=g)
    return x, (x @ true_w).argmax(dim=1)


def train(features=20, classes=4, epochs=15, batch_size=64):
    x, y = make_data(features=features, classes=classes)
    weights = torch.randn(features, classes).requires_grad_()
    weights = weights / math.sqrt(features)
    bias = torch.zeros(classes, requires_grad=True)

    opt = torch.optim.SGD([weights, bias], lr=0.5)
    for epoch in range(epochs):
        for i in range(0, len(x), batch_size):
            xb, yb = x[i:i + batch_size], y[i:i + batch_size]
            loss = F.cross_entropy(xb @ weights + bias, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
    return weights, bias


if __name__ == "__main__":
    train()
