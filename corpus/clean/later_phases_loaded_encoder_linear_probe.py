# Contrastive pre-training of an encoder, then a linear probe on a freshly built copy that loads
# the pre-trained weights and keeps them fixed.
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_encoder():
    return nn.Sequential(nn.Linear(12, 48), nn.ReLU(), nn.Linear(48, 16))


torch.manual_seed(0)
data = torch.randn(512, 12)
labels = (data[:, :3].sum(1) > 0).long()

# Phase 1: two noisy views of each row should map to nearby embeddings (InfoNCE).
encoder = make_encoder()
opt = torch.optim.Adam(encoder.parameters(), lr=1e-3)
for epoch in range(6):
    for xb in data.split(64):
        z1 = F.normalize(encoder(xb + 0.1 * torch.randn_like(xb)), dim=1)
        z2 = F.normalize(encoder(xb + 0.1 * torch.randn_like(xb)), dim=1)
        logits = z1 @ z2.t() / 0.2
        loss = F.cross_entropy(logits, torch.arange(len(xb)))
        opt.zero_grad()
        loss.backward()
        opt.step()
state = encoder.state_dict()

# Phase 2: linear probe; the probe's encoder is loaded and frozen on purpose.
probe_encoder = make_encoder()
probe_encoder.load_state_dict(state)
for p in probe_encoder.parameters():
    p.requires_grad = False
probe = nn.Linear(16, 2)
probe_opt = torch.optim.SGD(probe.parameters(), lr=0.1)
for epoch in range(6):
    for xb, yb in zip(data.split(64), labels.split(64)):
        probe_opt.zero_grad()
        loss = F.cross_entropy(probe(probe_encoder(xb)), yb)
        loss.backward()
        probe_opt.step()
    print(f"probe epoch {epoch}: loss {loss.item():.3f}")
