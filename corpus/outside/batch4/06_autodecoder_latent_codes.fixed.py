"""DeepSDF-style auto-decoder on synthetic 2-D shapes (circles of varying radius/centre).

Each shape owns a latent code that is optimised jointly with the decoder.  The decoder
is trained with Adam; the latent codes get a plain SGD step with their own learning rate.
"""
import torch
import torch.nn as nn

torch.manual_seed(0)

N_SHAPES = 12
LATENT_DIM = 8
POINTS_PER_SHAPE = 128
LR_DECODER = 1e-3
LR_LATENT = 1e-2
EPOCHS = 8

centres = torch.rand(N_SHAPES, 2) * 0.6 - 0.3
radii = torch.rand(N_SHAPES) * 0.3 + 0.2


def sample_sdf(shape_idx):
    xy = torch.rand(POINTS_PER_SHAPE, 2) * 2 - 1
    sdf = (xy - centres[shape_idx]).norm(dim=1) - radii[shape_idx]
    return xy, sdf.clamp(-0.1, 0.1)


class SDFDecoder(nn.Module):
    def __init__(self, latent_dim, hidden=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(latent_dim + 2, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 1), nn.Tanh(),
        )

    def forward(self, latent, xy):
        z = latent.unsqueeze(0).expand(xy.size(0), -1)
        return 0.1 * self.net(torch.cat([z, xy], dim=1)).squeeze(1)


decoder = SDFDecoder(LATENT_DIM)
latent_codes = torch.zeros(N_SHAPES, LATENT_DIM).normal_(0, 0.01).requires_grad_(True)
optimizer = torch.optim.Adam(decoder.parameters(), lr=LR_DECODER)
l1 = nn.L1Loss()

for epoch in range(EPOCHS):
    epoch_loss = 0.0
    for idx in torch.randperm(N_SHAPES).tolist():
        xy, sdf = sample_sdf(idx)
        pred = decoder(latent_codes[idx], xy)
        loss = l1(pred, sdf) + 1e-4 * latent_codes[idx].pow(2).sum()

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        with torch.no_grad():
            latent_codes -= LR_LATENT * latent_codes.grad
        latent_codes.grad.zero_()
        epoch_loss += loss.item()
    if epoch % 2 == 0:
        print(f"epoch {epoch:2d}  mean L1 {epoch_loss / N_SHAPES:.5f}")

print("latent norm per shape:", latent_codes.detach().norm(dim=1)[:4])
