import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
amp_dtype = torch.float16 if device == "cuda" else torch.bfloat16

cfg = dict(steps=40, lr=2e-3, clip=1.0, skip_threshold=5.0, batch=16, noise=0.3)


class DenoisingAE(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, ch, 3, padding=1), nn.GELU(),
                                 nn.Conv2d(ch, 2 * ch, 3, stride=2, padding=1), nn.GELU())
        self.dec = nn.Sequential(nn.ConvTranspose2d(2 * ch, ch, 4, stride=2, padding=1), nn.GELU(),
                                 nn.Conv2d(ch, 1, 3, padding=1))

    def forward(self, x):
        return x + self.dec(self.enc(x))


def clean_batch(n, size=24):
    """Smooth random 'textures': sums of a few random sinusoids, amplitude up to ~4."""
    yy, xx = torch.meshgrid(torch.linspace(0, 1, size), torch.linspace(0, 1, size), indexing="ij")
    imgs = torch.zeros(n, 1, size, size)
    for k in range(3):
        fx, fy, ph = torch.rand(3, n, 1, 1) * torch.tensor([6.0, 6.0, 6.28]).view(3, 1, 1, 1)
        imgs[:, 0] += torch.sin(fx * 6.28 * xx + fy * 6.28 * yy + ph) * (1 + 3 * torch.rand(n, 1, 1))
    return imgs


model = DenoisingAE().to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"])
scaler = torch.amp.GradScaler(device)

for step in range(cfg["steps"]):
    clean = clean_batch(cfg["batch"]).to(device)
    noisy = clean + cfg["noise"] * torch.randn_like(clean) * clean.abs().amax((1, 2, 3), keepdim=True)
    with torch.autocast(device_type=device, dtype=amp_dtype):
        out = model(noisy)
        loss = F.mse_loss(out.float(), clean)

    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    grad_norm = nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
    if grad_norm > cfg["skip_threshold"]:
        print(f"step {step}: grad norm {grad_norm:.1f} > {cfg['skip_threshold']}, skipping update")
        continue
    scaler.step(optimizer)
    scaler.update()
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.4f} grad-norm {grad_norm:.2f}")
