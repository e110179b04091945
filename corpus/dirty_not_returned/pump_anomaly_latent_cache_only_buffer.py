# Anomaly detection on pump vibration windows: an MLP autoencoder trained on healthy windows,
# anomalies scored by reconstruction error. The bottleneck's soft-shrink activation writes the
# last batch's latent codes into a fixed-size cache so that a k-NN score can be added later.
import torch
import torch.nn as nn
import torch.nn.functional as F

WINDOW = 64
LATENT = 8
CACHE_ROWS = 256
torch.manual_seed(17)


class SoftShrinkCached(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z, lambd, cache, cursor):
        codes = torch.sign(z) * (z.abs() - lambd).clamp_min(0.0)
        n = min(len(codes), len(cache))
        start = int(cursor) % len(cache)
        rows = (torch.arange(n) + start) % len(cache)
        cache[rows] = codes[:n]
        cursor.add_(n)
        ctx.mark_dirty(cache)
        ctx.save_for_backward(z.abs() > lambd)
        return codes

    @staticmethod
    def backward(ctx, grad_codes):
        (active,) = ctx.saved_tensors
        return grad_codes * active, None, None, None


class VibrationAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(WINDOW, 32), nn.ELU(), nn.Linear(32, LATENT))
        self.decoder = nn.Sequential(nn.Linear(LATENT, 32), nn.ELU(), nn.Linear(32, WINDOW))
        self.register_buffer("code_cache", torch.zeros(CACHE_ROWS, LATENT))
        self.register_buffer("cursor", torch.zeros((), dtype=torch.long))

    def forward(self, x):
        codes = SoftShrinkCached.apply(self.encoder(x), 0.05, self.code_cache, self.cursor)
        return self.decoder(codes)


def vibration_windows(n, faulty=False):
    t = torch.arange(WINDOW, dtype=torch.float32)
    rpm = 0.2 + 0.02 * torch.randn(n, 1)
    signal = torch.sin(rpm * t) + 0.3 * torch.sin(2 * rpm * t + 0.5)
    if faulty:
        impacts = (torch.rand(n, WINDOW) < 0.05).float() * torch.randn(n, WINDOW) * 2.0
        signal = signal + impacts
    return signal + 0.05 * torch.randn(n, WINDOW)


def scores(model, x):
    model.eval()
    with torch.no_grad():
        err = F.mse_loss(model(x), x, reduction="none").mean(dim=1)
    model.train()
    return err


healthy = vibration_windows(2000)
val_healthy, val_faulty = vibration_windows(200), vibration_windows(200, faulty=True)
model = VibrationAE()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)


def report(tag):
    h, f = scores(model, val_healthy), scores(model, val_faulty)
    threshold = h.quantile(0.95)
    print(f"{tag}: healthy err {h.mean():.4f}  faulty err {f.mean():.4f}  recall@5%FPR {(f > threshold).float().mean():.3f}")


report("before training")
for epoch in range(5):
    for batch in healthy[torch.randperm(len(healthy))].split(128):
        loss = F.mse_loss(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    report(f"epoch {epoch}")
