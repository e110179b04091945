# Supervised contrastive pre-training of a small encoder for bird-call embeddings, with CPU mixed
# precision. The loss is an nn.Module (as in most contrastive-learning code bases): calls of the
# same species in a batch are pulled together, all others pushed apart; a batch drawn at random
# from 30 species may hold no two calls of one species.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
SPECIES, PER_SPECIES, FEATURES, BATCH = 30, 20, 40, 10

prototypes = torch.randn(SPECIES, FEATURES)
calls = prototypes.repeat_interleave(PER_SPECIES, 0) + 0.6 * torch.randn(SPECIES * PER_SPECIES, FEATURES)
species = torch.arange(SPECIES).repeat_interleave(PER_SPECIES)


class SupConLoss(nn.Module):
    def __init__(self, temperature=0.1):
        super().__init__()
        self.temperature = temperature

    def forward(self, z, labels):
        z = F.normalize(z.float(), dim=1)
        self_mask = torch.eye(len(z), dtype=torch.bool)
        positives = (labels[:, None] == labels[None, :]) & ~self_mask
        if not positives.any():
            # every call in the batch is of a different species: no pair to pull together
            return z.sum() * 0.0
        log_prob = (z @ z.T / self.temperature).masked_fill(self_mask, -1e4).log_softmax(dim=1)
        has_pos = positives.any(dim=1)
        return -((log_prob * positives).sum(1)[has_pos] / positives.sum(1)[has_pos]).mean()


encoder = nn.Sequential(nn.Linear(FEATURES, 128), nn.GELU(), nn.Linear(128, 128), nn.GELU(), nn.Linear(128, 32))
criterion = SupConLoss()
optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
scaler = torch.amp.GradScaler("cpu")

for step in range(200):
    idx = torch.randint(0, len(calls), (BATCH,))
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        z = encoder(calls[idx])
    loss = criterion(z, species[idx])
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    if step % 20 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
