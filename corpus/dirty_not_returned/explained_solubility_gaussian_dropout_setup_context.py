"""Aqueous solubility regression from 256-bit molecular fingerprints (synthetic substructure
contributions). Multiplicative Gaussian dropout on the hidden layer, done in place, written in
the torch 2 style with a separate setup_context so it composes with functorch transforms."""
import torch
import torch.nn as nn
import torch.nn.functional as F

BITS = 256
N_MOLS = 1500
HIDDEN = 128
DROP_P = 0.2

g = torch.Generator().manual_seed(13)
torch.manual_seed(13)


class GaussianDropout_(torch.autograd.Function):
    @staticmethod
    def forward(x, noise, applied):
        x.mul_(noise)
        applied.add_(1)
        return x

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, noise, applied = inputs
        ctx.mark_dirty(x, applied)
        ctx.save_for_backward(noise)

    @staticmethod
    def backward(ctx, grad_out):
        (noise,) = ctx.saved_tensors
        return grad_out * noise, None, None


class GaussianDropout(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.std = (p / (1 - p)) ** 0.5
        self.register_buffer("applied", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        if not self.training:
            return x
        noise = 1 + self.std * torch.randn_like(x)
        return GaussianDropout_.apply(x, noise, self.applied)


class SolubilityNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(BITS, HIDDEN)
        self.drop = GaussianDropout(DROP_P)
        self.fc2 = nn.Linear(HIDDEN, HIDDEN)
        self.head = nn.Linear(HIDDEN, 1)

    def forward(self, fp):
        h = F.softplus(self.drop(self.fc1(fp)))
        h = F.softplus(self.fc2(h))
        return self.head(h).squeeze(-1)


def fingerprints():
    fp = (torch.rand(N_MOLS, BITS, generator=g) < 0.08).float()
    contrib = torch.randn(BITS, generator=g) * (torch.rand(BITS, generator=g) < 0.25)
    pairs = fp[:, :16] * fp[:, 16:32]
    logS = fp @ contrib * 0.5 - 0.8 * pairs.sum(1) - 2.0 + 0.2 * torch.randn(N_MOLS, generator=g)
    return fp, logS


def rmse(model, x, y):
    model.eval()
    with torch.no_grad():
        out = F.mse_loss(model(x), y).sqrt().item()
    model.train()
    return out


fp, logS = fingerprints()
x_tr, y_tr, x_te, y_te = fp[:1200], logS[:1200], fp[1200:], logS[1200:]
net = SolubilityNet()
opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-5)
print(f"test RMSE before training: {rmse(net, x_te, y_te):.3f} log units")

for epoch in range(8):
    perm = torch.randperm(len(x_tr))
    for i in range(0, len(perm), 64):
        idx = perm[i:i + 64]
        loss = F.mse_loss(net(x_tr[idx]), y_tr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 2 == 1:
        print(f"epoch {epoch}: train mse {loss.item():.3f}  test RMSE {rmse(net, x_te, y_te):.3f}  dropout calls {int(net.drop.applied)}")
