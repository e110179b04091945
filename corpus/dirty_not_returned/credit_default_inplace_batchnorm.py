"""Credit-default scoring on tabular features with a memory-lean MLP: the hidden BatchNorm is
written as an autograd Function that normalises its input in place."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    n_rows: int = 2048
    n_features: int = 24
    hidden: int = 64
    momentum: float = 0.1
    eps: float = 1e-5
    batch_size: int = 128
    epochs: int = 4
    lr: float = 3e-3
    seed: int = 7


class InplaceBatchNorm1dFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        if training:
            mean = x.mean(0)
            var = x.var(0, unbiased=False)
            n = x.shape[0]
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
            ctx.mark_dirty(
                x,
                running_mean,
                running_var,
            )
        else:
            mean, var = running_mean, running_var
            ctx.mark_dirty(x)
        invstd = torch.rsqrt(var + eps)
        x.sub_(mean).mul_(invstd).mul_(weight).add_(bias)
        ctx.save_for_backward(x, weight, bias, invstd)
        return x

    @staticmethod
    def backward(ctx, grad_out):
        y, weight, bias, invstd = ctx.saved_tensors
        xhat = (y - bias) / weight
        n = y.shape[0]
        grad_weight = (grad_out * xhat).sum(0)
        grad_bias = grad_out.sum(0)
        grad_x = (weight * invstd / n) * (n * grad_out - grad_bias - xhat * grad_weight)
        return grad_x, grad_weight, grad_bias, None, None, None, None, None


class InplaceBatchNorm1d(nn.Module):
    def __init__(self, features, momentum, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features))
        self.register_buffer("running_mean", torch.zeros(features))
        self.register_buffer("running_var", torch.ones(features))
        self.momentum = momentum
        self.eps = eps

    def forward(self, x):
        return InplaceBatchNorm1dFn.apply(
            x, self.weight, self.bias, self.running_mean, self.running_var, self.training, self.momentum, self.eps
        )


class CreditMLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.fc1 = nn.Linear(cfg.n_features, cfg.hidden)
        self.bn1 = InplaceBatchNorm1d(cfg.hidden, cfg.momentum, cfg.eps)
        self.fc2 = nn.Linear(cfg.hidden, cfg.hidden)
        self.bn2 = InplaceBatchNorm1d(cfg.hidden, cfg.momentum, cfg.eps)
        self.head = nn.Linear(cfg.hidden, 1)

    def forward(self, x):
        x = F.gelu(self.bn1(self.fc1(x)))
        x = F.gelu(self.bn2(self.fc2(x)))
        return self.head(x).squeeze(-1)


def make_applicants(cfg):
    g = torch.Generator().manual_seed(cfg.seed)
    income = torch.randn(cfg.n_rows, 1, generator=g) * 2.0 + 5.0
    other = torch.randn(cfg.n_rows, cfg.n_features - 1, generator=g)
    features = torch.cat([income, other], dim=1)
    w = torch.randn(cfg.n_features, generator=g)
    logits = features @ w * 0.3 - 0.5 * (income.squeeze(1) - 5.0)
    labels = (torch.rand(cfg.n_rows, generator=g) < torch.sigmoid(logits)).float()
    return features, labels


def evaluate(model, features, labels):
    model.eval()
    with torch.no_grad():
        logits = model(features)
        loss = F.binary_cross_entropy_with_logits(logits, labels).item()
        acc = ((logits > 0).float() == labels).float().mean().item()
    model.train()
    return loss, acc


def main():
    cfg = Config()
    torch.manual_seed(cfg.seed)
    features, labels = make_applicants(cfg)
    split = int(0.8 * cfg.n_rows)
    x_train, y_train = features[:split], labels[:split]
    x_val, y_val = features[split:], labels[split:]

    model = CreditMLP(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    print("before training: val loss %.4f acc %.3f" % evaluate(model, x_val, y_val))

    for epoch in range(cfg.epochs):
        perm = torch.randperm(split)
        running = 0.0
        for start in range(0, split, cfg.batch_size):
            idx = perm[start:start + cfg.batch_size]
            logits = model(x_train[idx])
            loss = F.binary_cross_entropy_with_logits(logits, y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(idx)
        val_loss, val_acc = evaluate(model, x_val, y_val)
        print(f"epoch {epoch}: train loss {running / split:.4f}  val loss {val_loss:.4f}  acc {val_acc:.3f}")


if __name__ == "__main__":
    main()
