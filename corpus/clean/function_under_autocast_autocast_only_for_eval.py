"""Molecular property regression from fingerprint bits with a gated readout written as an autograd
Function (the gate and value projections share one matmul). Training runs in float32; only the
large screening pass at the end runs under bfloat16 autocast, without gradients."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_BITS = 128


class GatedReadout(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, weight, bias):
        value, gate = F.linear(h, weight, bias).chunk(2, dim=-1)
        g = torch.sigmoid(gate)
        ctx.save_for_backward(h, weight, value, g)
        return value * g

    @staticmethod
    def backward(ctx, grad_out):
        h, weight, value, g = ctx.saved_tensors
        grad_pre = torch.cat([grad_out * g, grad_out * value * g * (1 - g)], dim=-1)
        return grad_pre @ weight, grad_pre.t() @ h, grad_pre.sum(0)


class FingerprintRegressor(nn.Module):
    def __init__(self, hidden=96):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(N_BITS, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU())
        self.readout_w = nn.Parameter(torch.randn(2 * hidden, hidden) * hidden ** -0.5)
        self.readout_b = nn.Parameter(torch.zeros(2 * hidden))
        self.out = nn.Linear(hidden, 1)

    def forward(self, fp):
        h = self.encoder(fp)
        return self.out(GatedReadout.apply(h, self.readout_w, self.readout_b)).squeeze(-1)


def fingerprints(n, seed):
    g = torch.Generator().manual_seed(seed)
    fp = (torch.rand(n, N_BITS, generator=g) < 0.15).float()
    contrib = torch.randn(N_BITS, generator=torch.Generator().manual_seed(99)) * 0.3
    logp = fp @ contrib + 0.5 * fp[:, 0] * fp[:, 1] + 0.05 * torch.randn(n, generator=g)
    return fp, logp


def screen(model, library, batch=1024):
    model.eval()
    scores = []
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        for chunk in library.split(batch):
            scores.append(model(chunk).float())
    model.train()
    return torch.cat(scores)


def main():
    torch.manual_seed(0)
    fp, y = fingerprints(1536, seed=1)
    model = FingerprintRegressor()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(5):
        perm = torch.randperm(len(fp))
        for idx in perm.split(128):
            loss = F.mse_loss(model(fp[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: mse {loss.item():.4f}")

    library, _ = fingerprints(4096, seed=2)
    scores = screen(model, library)
    print("top candidates:", scores.topk(5).indices.tolist())


if __name__ == "__main__":
    main()
