# SimSiam: the stop-gradients on the targets are the method, not a bug; the encoder is still
# reached through the predictor branch of both views.
import torch
import torch.nn as nn
import torch.nn.functional as F


def negative_cosine(p, z):
    return -F.cosine_similarity(p, z.detach(), dim=-1).mean()


torch.manual_seed(0)
encoder = nn.Sequential(nn.Linear(20, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 32))
predictor = nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 32))
optimizer = torch.optim.SGD([*encoder.parameters(), *predictor.parameters()], lr=0.05, momentum=0.9)

data = torch.randn(512, 20)
for epoch in range(3):
    for xb in data.split(64):
        z1 = encoder(xb + 0.1 * torch.randn_like(xb))
        z2 = encoder(xb * (torch.rand_like(xb) > 0.2).float())
        p1, p2 = predictor(z1), predictor(z2)
        loss = 0.5 * negative_cosine(p1, z2) + 0.5 * negative_cosine(p2, z1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f} std {F.normalize(z1.detach(), dim=1).std(0).mean().item():.4f}")
