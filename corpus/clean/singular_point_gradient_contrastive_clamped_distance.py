# Offline signature verification: a siamese MLP embeds synthetic pen-trajectory descriptors and is
# trained with a contrastive loss over every pair in the batch (genuine pairs pulled together,
# forgeries pushed past a margin). The pairwise distances are floored before the square root.
# bfloat16 autocast with a GradScaler.
import torch
from torch import nn

torch.manual_seed(9)
writers, samples, dim = 16, 10, 60
style = torch.randn(writers, dim) * 1.5
descriptors = style.repeat_interleave(samples, 0) + torch.randn(writers * samples, dim)
writer_of = torch.arange(writers).repeat_interleave(samples)


def pairwise_distances(emb):
    a, b = emb.unsqueeze(1), emb.unsqueeze(0)
    return (a - b).pow(2).sum(-1).clamp_min(1e-12).sqrt()


def contrastive_loss(emb, labels, margin=1.0):
    dist = pairwise_distances(emb)
    genuine = (labels.unsqueeze(1) == labels.unsqueeze(0)).float()
    pull = genuine * dist.pow(2)
    push = (1 - genuine) * torch.relu(margin - dist).pow(2)
    return (pull + push).mean()


encoder = nn.Sequential(nn.Linear(dim, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 16))
optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(8):
    perm = torch.randperm(len(descriptors))
    for i in range(0, len(perm), 40):
        idx = perm[i:i + 40]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            emb = encoder(descriptors[idx]).float()
        loss = contrastive_loss(emb, writer_of[idx])
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    with torch.no_grad():
        dist = pairwise_distances(encoder(descriptors))
        same = writer_of.unsqueeze(1) == writer_of.unsqueeze(0)
        gap = dist[~same].mean() - dist[same].mean()
    print(f"epoch {epoch}: loss {loss.item():.4f} impostor-genuine gap {gap.item():.3f}")
