"""A denoising autoencoder for 8x8 patches. A full backward pre-hook on the decoder clips the
gradient arriving at its output (grad_output) before it flows through the decoder."""
import torch
from torch import nn

torch.manual_seed(0)

encoder = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 8))
decoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 64), nn.Unflatten(1, (1, 8, 8)))


def clip_reconstruction_gradient(module, grad_output):
    return (grad_output[0].clamp(-1e-3, 1e-3),)


decoder.register_full_backward_pre_hook(clip_reconstruction_gradient)
optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)

# Smooth synthetic patches: low-frequency sinusoids with random phase and orientation.
grid = torch.stack(torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij"))
angles, phases = torch.rand(1024) * 3.14, torch.rand(1024) * 6.28
directions = torch.stack([angles.cos(), angles.sin()], dim=1)
patches = torch.sin(0.6 * torch.einsum("nc,chw->nhw", directions, grid) + phases[:, None, None])[:, None]

for epoch in range(4):
    for i in range(0, 1024, 128):
        clean = patches[i:i + 128]
        noisy = clean + 0.2 * torch.randn_like(clean)
        loss = nn.functional.mse_loss(decoder(encoder(noisy)), clean)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.4f}")
