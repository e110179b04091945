"""Adversarial debiasing for a synthetic credit-default table: an encoder learns a representation
that predicts default while an adversary, trained through a gradient flip, tries to recover the
protected attribute from it. Reports accuracy and the demographic-parity gap."""
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.autograd import Function

SEED = 3
N_ROWS = 2048
N_FEATURES = 12
HIDDEN = 32
BATCH = 128
EPOCHS = 6
ADV_WEIGHT = 0.8


class _Flip(Function):
    @staticmethod
    def forward(ctx, input, strength):
        ctx.strength = strength
        return input.clone()

    @staticmethod
    def backward(ctx, grad):
        return -ctx.strength * grad, None


def flip_gradient(z, strength=1.0):
    return _Flip.apply(z, strength)


def synthetic_credit(n, d, gen):
    group = torch.bernoulli(torch.full((n,), 0.4), generator=gen)
    x = torch.randn(n, d, generator=gen)
    x[:, 0] += 1.2 * group          # income proxy, correlated with the group
    x[:, 1] -= 0.8 * group          # postcode proxy
    score = 0.9 * x[:, 0] - 0.7 * x[:, 2] + 0.5 * x[:, 3] + 0.3 * torch.randn(n, generator=gen)
    default = (score > 0.4).float()
    return x, default, group


def build_nets():
    return nn.ModuleDict({
        "encoder": nn.Sequential(nn.Linear(N_FEATURES, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, HIDDEN)),
        "predictor": nn.Sequential(nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1)),
        "adversary": nn.Sequential(nn.Linear(HIDDEN, 16), nn.ReLU(), nn.Linear(16, 1)),
    })


def forward_pass(nets, x, lam):
    z = nets["encoder"](x)
    group_logit = nets["adversary"](flip_gradient(z, lam))
    h = F.leaky_relu(z, 0.1, inplace=True)
    default_logit = nets["predictor"](h)
    return default_logit.squeeze(-1), group_logit.squeeze(-1)


def parity_gap(pred, group):
    rate_a = pred[group == 0].float().mean()
    rate_b = pred[group == 1].float().mean()
    return (rate_a - rate_b).abs().item()


def main():
    gen = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)
    x, y, g = synthetic_credit(N_ROWS, N_FEATURES, gen)
    n_train = int(0.8 * N_ROWS)
    x_tr, y_tr, g_tr = x[:n_train], y[:n_train], g[:n_train]
    x_te, y_te, g_te = x[n_train:], y[n_train:], g[n_train:]

    nets = build_nets()
    opt = optim.Adam(nets.parameters(), lr=3e-3, weight_decay=1e-5)

    for epoch in range(EPOCHS):
        lam = ADV_WEIGHT * min(1.0, (epoch + 1) / 3)
        order = torch.randperm(n_train, generator=gen)
        running = 0.0
        for start in range(0, n_train, BATCH):
            idx = order[start:start + BATCH]
            default_logit, group_logit = forward_pass(nets, x_tr[idx], lam)
            task_loss = F.binary_cross_entropy_with_logits(default_logit, y_tr[idx])
            adv_loss = F.binary_cross_entropy_with_logits(group_logit, g_tr[idx])
            opt.zero_grad()
            (task_loss + adv_loss).backward()
            opt.step()
            running += task_loss.item() * len(idx)

        with torch.no_grad():
            logit, _ = forward_pass(nets, x_te, 0.0)
            pred = logit > 0
            acc = (pred.float() == y_te).float().mean().item()
        print(f"epoch {epoch} task {running / n_train:.3f} acc {acc:.3f} parity gap {parity_gap(pred, g_te):.3f}")


main()
