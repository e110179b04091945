# A quantisation-aware autoencoder: the encoder's codes are rounded by a straight-through
# Function that is given only the codes, and the decoder is a stack of weight matrices kept in
# an nn.ParameterList and applied with plain matrix products, which autograd tracks.
import torch
from torch import nn

torch.manual_seed(0)


class RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, codes, levels):
        return torch.round(codes * levels) / levels

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, None


class QuantAutoencoder(nn.Module):
    def __init__(self, dim=16, code=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, 32), nn.Tanh(), nn.Linear(32, code), nn.Tanh())
        self.decoder = nn.ParameterList([
            nn.Parameter(torch.randn(code, 32) * 0.3),
            nn.Parameter(torch.randn(32, dim) * 0.3),
        ])

    def forward(self, x):
        h = RoundSTE.apply(self.encoder(x), 8.0)
        for i, w in enumerate(self.decoder):
            h = h @ w
            if i < len(self.decoder) - 1:
                h = torch.tanh(h)
        return h


basis = torch.randn(4, 16)
data = torch.tanh(torch.randn(512, 4)) @ basis
model = QuantAutoencoder()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(15):
    for i in range(0, 512, 64):
        loss = nn.functional.mse_loss(model(data[i:i + 64]), data[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"mse {loss.item():.4f}")
