"""Pretrain an encoder as an autoencoder, then fine-tune a classifier head on top of it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
unlabelled = torch.randn(256, 20)
labelled_x = torch.randn(64, 20)
labelled_y = (labelled_x[:, 0] > 0).long()

encoder = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 8))
decoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 20))

# Phase 1: reconstruction
pretrain_opt = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)
for epoch in range(5):
    for batch in unlabelled.split(64):
        pretrain_opt.zero_grad()
        recon_loss = F.mse_loss(decoder(encoder(batch)), batch)
        recon_loss.backward()
        pretrain_opt.step()
    print(f"pretrain {epoch}: {recon_loss.item():.4f}")

# Phase 2: a linear head on the frozen encoder
for p in encoder.parameters():
    p.requires_grad_(False)
head = nn.Linear(8, 2)
finetune_opt = torch.optim.SGD(head.parameters(), lr=0.1)
for epoch in range(10):
    for xb, yb in zip(labelled_x.split(16), labelled_y.split(16)):
        finetune_opt.zero_grad()
        cls_loss = F.cross_entropy(head(encoder(xb)), yb)
        cls_loss.backward
        finetune_opt.step()
    print(f"finetune {epoch}: {cls_loss.item():.4f}")
