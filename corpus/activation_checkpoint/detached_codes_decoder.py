"""Two-part model trained side by side: an encoder learns codes with its own contrastive-style
loss, and a decoder learns to reconstruct from those codes without pushing back into the encoder
(the codes are detached). The decoder is checkpointed to save memory."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as tuc

torch.manual_seed(0)

encoder = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 8))
decoder = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32))
opt_enc = torch.optim.Adam(encoder.parameters(), lr=1e-3)
opt_dec = torch.optim.Adam(decoder.parameters(), lr=1e-3)
basis = torch.randn(4, 32)


def sample(n):
    return torch.randn(n, 4) @ basis + 0.05 * torch.randn(n, 32)


for step in range(100):
    x = sample(64)
    codes = encoder(x)
    # spread the codes: decorrelate and keep unit variance
    z = (codes - codes.mean(0)) / (codes.std(0) + 1e-4)
    enc_loss = (z.T @ z / len(z) - torch.eye(8)).pow(2).sum()
    opt_enc.zero_grad()
    enc_loss.backward()
    opt_enc.step()

    recon = tuc.checkpoint(decoder, codes.detach(), use_reentrant=True)
    dec_loss = F.mse_loss(recon, x)
    opt_dec.zero_grad()
    dec_loss.backward()
    opt_dec.step()
    if step % 25 == 0:
        print(step, enc_loss.item(), dec_loss.item())
