# Supervised contrastive pre-training of a small encoder for bird-call embeddings, with CPU mixed
# precision: calls of the same species in a batch are pulled together and all others pushed apart.
# Batches are drawn at random from 30 species, so a batch may hold no two calls of one species.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
SPECIES, PER_SPECIES, FEATURES, BATCH, TAU = 30, 20, 40, 10, 0.1

prototypes = torch.randn(SPECIES, FEATURES)
calls = prototypes.repeat_interleave(PER_SPECIES, 0) + 0.6 * torch.randn(SPECIES * PER_SPECIES, FEATURES)
species = torch.arange(SPECIES).repeat_interleave(PER_SPECIES)

encoder = nn.Sequential(nn.Linear(FEATURES, 128), nn.GELU(), nn.Linear(128, 128), nn.GELU(), nn.Linear(128, 32))
optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
scaler = torch.amp.GradScaler("cpu")


def train(steps):
    for step in range(steps):
        idx = torch.randint(0, len(calls), (BATCH,))
        labels = species[idx]
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            z = encoder(calls[idx])
        z = F.normalize(z.float(), dim=1)
        logits = z @ z.T / TAU
        self_mask = torch.eye(BATCH, dtype=torch.bool)
        positives = (labels[:, None] == labels[None, :]) & ~self_mask
        if not positives.any():
            # every call in the batch is of a different species: no pair to pull together
            loss = z.sum() * 0.0
        else:
            log_prob = logits.masked_fill(self_mask, -1e4).log_softmax(dim=1)
            has_pos = positives.any(dim=1)
            per_anchor = (log_prob * positives).sum(1)[has_pos] / positives.sum(1)[has_pos]
            loss = -per_anchor.mean()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        if step % 20 == 0:
            print(f"step {step}: loss {loss.item():.4f}")


train(200)
