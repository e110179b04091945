"""Linear evaluation of a pretrained encoder: `--freeze_encoder` is declared with type=bool, but no
string is given, so its default True is used as it is, and the encoder is frozen on purpose."""
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--freeze_encoder", type=bool, default=True)
parser.add_argument("--lr", type=float, default=0.05)
args = parser.parse_args([])

encoder = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
encoder.load_state_dict(nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU()).state_dict())
classifier = nn.Linear(32, 4)
if args.freeze_encoder:
    for p in encoder.parameters():
        p.requires_grad = False

optimizer = torch.optim.SGD([p for p in [*encoder.parameters(), *classifier.parameters()] if p.requires_grad], lr=args.lr)
for step in range(10):
    x, y = torch.randn(16, 12), torch.randint(0, 4, (16,))
    loss = nn.functional.cross_entropy(classifier(encoder(x)), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
