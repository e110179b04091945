"""Conditional VAE on toy 1-D signals: the label embedding conditions every block through a
learned shift. The encoder's blocks get it; decode() has no label to give its block, so the
decoder block's conditioning layer never runs. The fix is to thread the label through decode(),
which is more than adding an argument at one call."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_CLASSES, LENGTH, LATENT = 4, 32, 8


class CondBlock(nn.Module):
    def __init__(self, d_in, d_out, label_dim=16):
        super().__init__()
        self.fc = nn.Linear(d_in, d_out)
        self.label_shift = nn.Linear(label_dim, d_out)

    def forward(self, x, label_emb=None):
        h = self.fc(x)
        if label_emb is not None:
            h = h + self.label_shift(label_emb)
        return F.gelu(h)


class CVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.label_embed = nn.Embedding(N_CLASSES, 16)
        self.enc1 = CondBlock(LENGTH, 64)
        self.enc2 = CondBlock(64, 64)
        self.to_stats = nn.Linear(64, 2 * LATENT)
        self.dec1 = CondBlock(LATENT, 64)
        self.to_signal = nn.Linear(64, LENGTH)

    def encode(self, x, y_emb):
        h = self.enc2(self.enc1(x, y_emb), y_emb)
        mu, logvar = self.to_stats(h).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z):
        return self.to_signal(self.dec1(z))

    def forward(self, x, y):
        y_emb = self.label_embed(y)
        mu, logvar = self.encode(x, y_emb)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.decode(z), mu, logvar


def signals(n):
    y = torch.randint(0, N_CLASSES, (n,))
    grid = torch.linspace(0, 6.28, LENGTH)
    x = torch.sin((y[:, None] + 1) * grid[None]) + 0.1 * torch.randn(n, LENGTH)
    return x, y


torch.manual_seed(0)
model = CVAE()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(100):
    x, y = signals(64)
    recon, mu, logvar = model(x, y)
    kl = -0.5 * torch.mean(1 + logvar - mu.pow(2) - logvar.exp())
    loss = F.mse_loss(recon, x) + 0.1 * kl
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 25 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
