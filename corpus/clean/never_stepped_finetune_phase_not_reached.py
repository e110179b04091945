"""Self-supervised pretraining of an encoder (denoising reconstruction), with the fine-tuning and
the linear-evaluation optimizers built up front, as the original config-driven script does. This
run only pretrains (--finetune-epochs 0, no --linear-eval): those two optimizers never step."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

parser = argparse.ArgumentParser()
parser.add_argument("--pretrain-epochs", type=int, default=4)
parser.add_argument("--finetune-epochs", type=int, default=0)
parser.add_argument("--linear-eval", action="store_true")
args = parser.parse_args()

torch.manual_seed(0)
x = torch.randn(512, 24)
y = (x[:, :3].sum(1) > 0).long()

encoder = nn.Sequential(nn.Linear(24, 64), nn.ReLU(), nn.Linear(64, 16))
decoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 24))
probe = nn.Linear(16, 2)

pretrain_opt = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)
finetune_opt = torch.optim.SGD(list(encoder.parameters()) + list(probe.parameters()), lr=1e-3, momentum=0.9)
probe_opt = torch.optim.SGD(probe.parameters(), lr=0.1)

for epoch in range(args.pretrain_epochs):
    for i in range(0, 512, 64):
        xb = x[i:i + 64]
        recon = decoder(encoder(xb + 0.2 * torch.randn_like(xb)))
        loss = F.mse_loss(recon, xb)
        pretrain_opt.zero_grad()
        loss.backward()
        pretrain_opt.step()
    print(f"pretrain epoch {epoch}: {loss.item():.4f}")

if args.finetune_epochs > 0:
    for epoch in range(args.finetune_epochs):
        for i in range(0, 512, 64):
            loss = F.cross_entropy(probe(encoder(x[i:i + 64])), y[i:i + 64])
            finetune_opt.zero_grad()
            loss.backward()
            finetune_opt.step()

if args.linear_eval:
    with torch.no_grad():
        features = encoder(x)
    for epoch in range(20):
        loss = F.cross_entropy(probe(features), y)
        probe_opt.zero_grad()
        loss.backward()
        probe_opt.step()
    print(f"linear eval loss {loss.item():.4f}")
