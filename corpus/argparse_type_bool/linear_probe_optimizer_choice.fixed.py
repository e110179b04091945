# Self-supervised encoder evaluated by fine-tuning: `--linear_probe off` should train the whole
# model, but "off" is a non-empty string and the optimizer gets only the head.
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--linear_probe", type=lambda s: s.lower() in ("true", "1", "yes", "y", "on"), default=False)
parser.add_argument("--epochs", type=int, default=2)
opts = parser.parse_args("--linear_probe off --epochs 2".split())

encoder = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
head = nn.Linear(64, 3)
encoder.load_state_dict(nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU()).state_dict())

trained = head.parameters() if opts.linear_probe else list(encoder.parameters()) + list(head.parameters())
optimizer = torch.optim.SGD(trained, lr=0.1)

x = torch.randn(64, 16)
y = torch.randint(0, 3, (64,))
for epoch in range(opts.epochs):
    for i in range(0, 64, 16):
        logits = head(encoder(x[i:i + 16]))
        loss = nn.functional.cross_entropy(logits, y[i:i + 16])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
