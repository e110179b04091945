# Image denoising with accumulated gradients; the accumulation condition reads the epoch number
# instead of the batch index, and there are fewer epochs than accumulation steps.
import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
EPOCHS, ACCUM_STEPS = 3, 4

clean = torch.rand(96, 1, 12, 12)
noisy = (clean + 0.2 * torch.randn_like(clean)).clamp(0, 1)
loader = DataLoader(TensorDataset(noisy, clean), batch_size=8)

denoiser = nn.Sequential(
    nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
    nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
    nn.Conv2d(8, 1, 3, padding=1),
)
opt = optim.Adam(denoiser.parameters(), lr=1e-3)
mse = nn.MSELoss()

opt.zero_grad()
for epoch in range(EPOCHS):
    total = 0.0
    for i, (x, target) in enumerate(loader):
        loss = mse(denoiser(x), target) / ACCUM_STEPS
        loss.backward()
        total += loss.item()
        if (epoch + 1) % ACCUM_STEPS == 0:
            opt.step()
            opt.zero_grad()
    print(f"epoch {epoch}: loss {total:.4f}")
