import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# A fixed random-feature encoder: frozen on purpose, and its projection kept as a buffer.
encoder = nn.Module()
encoder.register_buffer("projection", torch.randn(16, 64))
for p in encoder.parameters():
    p.requires_grad_(False)

head = nn.Linear(64, 3)
# Only the head trains: its own optimizer, the encoder given to none.
optimizer = torch.optim.Adam(head.parameters(), lr=1e-2)

x = torch.randn(96, 16)
y = torch.randint(0, 3, (96,))
for step in range(20):
    features = torch.cos(x @ encoder.projection)
    loss = F.cross_entropy(head(features), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
