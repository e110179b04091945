"""Logistic regression on two well-separated Gaussian blobs, full batch with L-BFGS.

The classes are far apart, so after a few outer rounds the training loss is tiny and L-BFGS
returns at once from every further step: the weights stop changing because the fit has converged
(the gradient is below tolerance_grad), not because it never started. A small L2 penalty keeps
the weights finite on separable data.
"""
import torch
from torch import nn
from torch.nn import functional as F


def two_blobs(n_per_class=200, dim=5, gap=6.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    direction = torch.randn(dim, generator=g)
    direction = direction / direction.norm()
    x0 = torch.randn(n_per_class, dim, generator=g) - 0.5 * gap * direction
    x1 = torch.randn(n_per_class, dim, generator=g) + 0.5 * gap * direction
    x = torch.cat([x0, x1])
    y = torch.cat([torch.zeros(n_per_class), torch.ones(n_per_class)])
    perm = torch.randperm(len(y), generator=g)
    return x[perm], y[perm]


class Logistic(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.linear = nn.Linear(dim, 1)

    def forward(self, x):
        return self.linear(x).squeeze(-1)


def train(model, x, y, weight_decay=1e-4, rounds=8):
    optimizer = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=25, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss = loss + weight_decay * model.linear.weight.pow(2).sum()
        loss.backward()
        return loss

    for r in range(rounds):
        before = model.linear.weight.detach().clone()
        loss = optimizer.step(closure)
        moved = (model.linear.weight.detach() - before).norm().item()
        print(f"round {r}: loss {loss.item():.5f}  |w| {model.linear.weight.norm().item():.3f}  moved {moved:.2e}")


@torch.no_grad()
def accuracy(model, x, y):
    return ((model(x) > 0).float() == y).float().mean().item()


def main():
    torch.manual_seed(0)
    x, y = two_blobs(n_per_class=300)
    x_train, y_train, x_test, y_test = x[:400], y[:400], x[400:], y[400:]
    model = Logistic(x_train.shape[1])
    train(model, x_train, y_train)
    print(f"train accuracy {accuracy(model, x_train, y_train):.3f}, test accuracy {accuracy(model, x_test, y_test):.3f}")


if __name__ == "__main__":
    main()
