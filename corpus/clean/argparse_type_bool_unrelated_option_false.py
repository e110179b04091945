"""A type=bool option given "False" that gates only logging, beside a backbone frozen on purpose
by another setting: making the option parse "False" as False trains nothing more."""
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--log_histograms", type=bool, default=True)
parser.add_argument("--trainable_layers", type=int, default=1)
cfg = parser.parse_args(["--log_histograms", "False"])

layers = nn.ModuleList([nn.Linear(10, 10) for _ in range(3)])
head = nn.Linear(10, 2)
for layer in layers[: len(layers) - cfg.trainable_layers]:
    layer.load_state_dict(nn.Linear(10, 10).state_dict())
    layer.requires_grad_(False)
optimizer = torch.optim.Adam([p for p in [*layers.parameters(), *head.parameters()] if p.requires_grad], lr=1e-3)

for step in range(10):
    h = torch.randn(8, 10)
    for layer in layers:
        h = torch.relu(layer(h))
    loss = nn.functional.cross_entropy(head(h), torch.randint(0, 2, (8,)))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if cfg.log_histograms and step % 5 == 0:
        print(step, [round(p.norm().item(), 3) for p in head.parameters()])
