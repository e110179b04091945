"""A VQ-VAE whose codebook is not learned by gradient: it is a buffer updated by exponential
moving averages of the encoder outputs assigned to each code (van den Oord et al., appendix)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class EMAQuantizer(nn.Module):
    def __init__(self, codes=16, dim=4, decay=0.9):
        super().__init__()
        self.decay = decay
        self.register_buffer("codebook", nn.init.kaiming_uniform_(torch.empty(codes, dim)))

    def forward(self, z):
        idx = torch.cdist(z, self.codebook).argmin(dim=1)
        q = self.codebook[idx]
        if self.training:
            with torch.no_grad():
                onehot = F.one_hot(idx, self.codebook.size(0)).float()
                counts = onehot.sum(0).clamp(min=1).unsqueeze(1)
                means = onehot.t() @ z / counts
                used = onehot.sum(0) > 0
                self.codebook[used] = self.decay * self.codebook[used] + (1 - self.decay) * means[used]
        return z + (q - z).detach(), F.mse_loss(z, q.detach())


enc, dec, quant = nn.Linear(8, 4), nn.Linear(4, 8), EMAQuantizer()
opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=1e-2)
x = torch.randn(64, 8)
for step in range(30):
    z_q, commit = quant(enc(x))
    loss = F.mse_loss(dec(z_q), x) + 0.25 * commit
    opt.zero_grad()
    loss.backward()
    opt.step()
