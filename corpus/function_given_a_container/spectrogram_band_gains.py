# A spectrogram denoiser: a hand-written Function scales the low and the high half of the
# frequency bins by two learned gains (above a fixed floor), then a small MLP cleans each frame.
import torch
from torch import nn

torch.manual_seed(0)
BINS = 32


class BandGain(torch.autograd.Function):
    @staticmethod
    def forward(ctx, spec, bands, floor):
        low, high = bands
        half = spec.shape[1] // 2
        gain = torch.cat([low.expand(half), high.expand(spec.shape[1] - half)]) + floor
        ctx.save_for_backward(spec, gain)
        ctx.half = half
        return spec * gain

    @staticmethod
    def backward(ctx, grad_out):
        spec, gain = ctx.saved_tensors
        per_bin = (grad_out * spec).sum(0)
        g_low = per_bin[:ctx.half].sum().reshape(1)
        g_high = per_bin[ctx.half:].sum().reshape(1)
        return grad_out * gain, [g_low, g_high], None


class Denoiser(nn.Module):
    def __init__(self):
        super().__init__()
        self.bands = nn.ParameterList([nn.Parameter(torch.ones(1)), nn.Parameter(torch.ones(1))])
        self.mlp = nn.Sequential(nn.Linear(BINS, 64), nn.ReLU(), nn.Linear(64, BINS))

    def forward(self, spec):
        return self.mlp(BandGain.apply(spec, self.bands, 0.1))


clean = torch.rand(256, BINS) * torch.linspace(2.0, 0.2, BINS)
noisy = clean * torch.cat([torch.full((BINS // 2,), 0.5), torch.full((BINS // 2,), 2.0)]) + 0.05 * torch.randn(256, BINS)
model = Denoiser()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(20):
    for i in range(0, 256, 32):
        loss = nn.functional.mse_loss(model(noisy[i:i + 32]), clean[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
print(f"loss {loss.item():.4f}")
