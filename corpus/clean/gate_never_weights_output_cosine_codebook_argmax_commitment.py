"""A VQ-VAE with a cosine-similarity codebook: each latent takes the code with the highest
similarity (argmax) and the code's row is looked up. The pick is deliberate: the encoder trains
through the straight-through copy, the codebook through its own codebook loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(23)
IN, LATENT, CODES = 12, 6, 8


class CosineVQ(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(IN, 16), nn.ReLU(), nn.Linear(16, LATENT))
        self.codebook = nn.Embedding(CODES, LATENT)
        self.decoder = nn.Sequential(nn.Linear(LATENT, 16), nn.ReLU(), nn.Linear(16, IN))

    def forward(self, x):
        z = self.encoder(x)
        similarity = F.normalize(z, dim=-1) @ F.normalize(self.codebook.weight, dim=-1).t()
        code = similarity.argmax(dim=-1)
        quantized = self.codebook(code)
        codebook_loss = F.mse_loss(quantized, z.detach())
        commitment = F.mse_loss(z, quantized.detach())
        z_q = z + (quantized - z).detach()
        return self.decoder(z_q), codebook_loss + 0.25 * commitment


model = CosineVQ()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(12):
    x = torch.randn(40, IN)
    recon, vq_loss = model(x)
    loss = F.mse_loss(recon, x) + vq_loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
