# Fits a deep-kernel GP (kernels.py) to a noisy 1-D signal with a jump, which a stationary kernel
# on the raw input handles badly; Adam on the exact marginal likelihood, bfloat16 autocast for
# the feature network and a GradScaler.
import torch

from kernels import DeepKernelGP

torch.manual_seed(4)
x = torch.linspace(-3, 3, 120).unsqueeze(-1)
y = torch.where(x[:, 0] < 0.5, torch.sin(2 * x[:, 0]), 1.5 + 0.3 * x[:, 0]) + 0.05 * torch.randn(120)
x_test = torch.linspace(-3, 3, 50).unsqueeze(-1)
y_test = torch.where(x_test[:, 0] < 0.5, torch.sin(2 * x_test[:, 0]), 1.5 + 0.3 * x_test[:, 0])

gp = DeepKernelGP(in_dim=1)
optimizer = torch.optim.Adam(gp.parameters(), lr=0.01)
scaler = torch.amp.GradScaler("cpu")

for it in range(60):
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = gp.marginal_nll(x, y)
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    if it % 15 == 0:
        rmse = (gp.predict(x, y, x_test) - y_test).pow(2).mean().sqrt()
        print(f"iter {it}: nll {loss.item():.4f} test rmse {rmse.item():.4f} noise {gp.log_noise.exp().item():.4f}")
