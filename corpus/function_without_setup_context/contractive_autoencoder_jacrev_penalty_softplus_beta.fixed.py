"""Contractive autoencoder: the loss adds the Frobenius norm of the encoder's Jacobian with
respect to each input, computed with vmap(jacrev(...)). The encoder's activation is a
hand-written softplus with a sharpness beta, kept on ctx."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import jacrev, vmap


class BetaSoftplus(torch.autograd.Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x, beta):
        return F.softplus(x * beta) / beta

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, beta = inputs
        ctx.save_for_backward(x)
        ctx.beta = beta

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x * ctx.beta), None


class ContractiveAE(nn.Module):
    def __init__(self, d_in=20, d_code=6, beta=2.0):
        super().__init__()
        self.enc = nn.Linear(d_in, d_code)
        self.dec = nn.Linear(d_code, d_in)
        self.beta = beta

    def encode(self, x):
        return BetaSoftplus.apply(self.enc(x), self.beta)

    def forward(self, x):
        return self.dec(self.encode(x))


torch.manual_seed(0)
basis = torch.randn(4, 20)
data = torch.randn(512, 4) @ basis + 0.05 * torch.randn(512, 20)
model = ContractiveAE()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
lam = 1e-2

for epoch in range(8):
    perm = torch.randperm(len(data))
    for i in range(0, len(data), 128):
        x = data[perm[i:i + 128]]
        jac = vmap(jacrev(model.encode))(x)  # [B, d_code, d_in]
        recon = F.mse_loss(model(x), x)
        contraction = jac.pow(2).sum(dim=(1, 2)).mean()
        loss = recon + lam * contraction
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: recon {recon.item():.4f} contraction {contraction.item():.3f}")
