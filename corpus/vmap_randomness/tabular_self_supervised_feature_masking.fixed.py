# Self-supervised pretraining of an encoder for tabular data, in the manner of VIME: each row
# has a random subset of its features replaced by values drawn from other rows, and the network
# learns to tell which features were replaced and to reconstruct the original row. The
# corruption is written for one row and vectorised over the batch; a linear probe on the frozen
# encoder reports how useful the features are for a downstream label.
import torch
import torch.nn as nn
import torch.nn.functional as F
from functorch import vmap

FEATURES, HIDDEN, MASK_RATE = 12, 64, 0.3


def corrupt(row, donor):
    """Replace a random subset of ``row``'s features by ``donor``'s; return it and the mask."""
    mask = torch.bernoulli(torch.full_like(row, MASK_RATE))
    return mask * donor + (1 - mask) * row, mask


class VimeSelf(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU())
        self.mask_head = nn.Linear(HIDDEN, FEATURES)
        self.feature_head = nn.Linear(HIDDEN, FEATURES)

    def forward(self, x):
        h = self.encoder(x)
        return self.mask_head(h), self.feature_head(h)


torch.manual_seed(8)
latent = torch.randn(3000, 4)
table = latent @ torch.randn(4, FEATURES) + 0.1 * torch.randn(3000, FEATURES)
label = (latent[:, 0] - latent[:, 2] > 0).long()

model = VimeSelf()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(5):
    order = torch.randperm(len(table))
    for i in range(0, len(order), 200):
        x = table[order[i:i + 200]]
        donors = x[torch.randperm(len(x))]
        x_tilde, mask = vmap(corrupt, randomness="different")(x, donors)
        mask_logits, x_hat = model(x_tilde)
        loss = F.binary_cross_entropy_with_logits(mask_logits, mask) + 2.0 * F.mse_loss(x_hat, x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: pretext loss {loss.item():.4f}")

with torch.no_grad():
    features = model.encoder(table)
probe = nn.Linear(HIDDEN, 2)
probe_opt = torch.optim.Adam(probe.parameters(), lr=1e-2)
for step in range(100):
    probe_loss = F.cross_entropy(probe(features[:2500]), label[:2500])
    probe_opt.zero_grad()
    probe_loss.backward()
    probe_opt.step()
accuracy = (probe(features[2500:]).argmax(1) == label[2500:]).float().mean().item()
print(f"linear probe accuracy on held-out rows: {accuracy:.3f}")
