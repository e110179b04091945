"""A weight-normalised classifier built with the old torch.nn.utils.weight_norm, saved by its
state_dict and never deep-copied: it trains, and nothing needs changing."""
import io

import torch
import torch.nn as nn
from torch.nn.utils import weight_norm

torch.manual_seed(0)

model = nn.Sequential(weight_norm(nn.Linear(12, 48)), nn.ReLU(), weight_norm(nn.Linear(48, 3)))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
best_state = None
for epoch in range(10):
    x, y = torch.randn(64, 12), torch.randint(0, 3, (64,))
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
buffer = io.BytesIO()
torch.save(best_state, buffer)
