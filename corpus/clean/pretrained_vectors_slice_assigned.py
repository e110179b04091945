"""Pretrained vectors copied in with `weight[:] = vectors` under no_grad, then frozen. Correct."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
vocab, dim = 300, 32
pretrained = torch.randn(vocab, dim)  # stand-in for fastText vectors
embed = nn.Embedding(vocab, dim)
with torch.no_grad():
    embed.weight[:] = pretrained
embed.weight.requires_grad = False
model = nn.Sequential(embed, nn.Flatten(), nn.Linear(8 * dim, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for step in range(6):
    t, y = torch.randint(0, vocab, (16, 8)), torch.randint(0, 2, (16,))
    loss = F.cross_entropy(model(t), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item())
