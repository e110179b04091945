# Phase 1 trains an autoencoder; phase 2 freezes the encoder it trained and fits a classifier on top.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(600, 10)
y = (x[:, 0] * x[:, 1] > 0).long()

encoder = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 6))
decoder = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 10))
ae_opt = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
for epoch in range(10):
    for xb in x.split(100):
        ae_opt.zero_grad()
        F.mse_loss(decoder(encoder(xb)), xb).backward()
        ae_opt.step()

# Phase 2: the encoder stays as phase 1 left it; only the classifier learns.
encoder.requires_grad_(False)
encoder.eval()
classifier = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 2))
clf_opt = torch.optim.Adam(classifier.parameters(), lr=3e-3)
for epoch in range(10):
    for xb, yb in zip(x.split(100), y.split(100)):
        clf_opt.zero_grad()
        loss = F.cross_entropy(classifier(encoder(xb)), yb)
        loss.backward()
        clf_opt.step()
    print(f"classifier epoch {epoch}: loss {loss.item():.3f}")
