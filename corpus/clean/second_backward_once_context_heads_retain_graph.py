"""Multi-head training: each batch is encoded once, then a loop over the heads backpropagates each
head's loss through the shared encoding, keeping the graph (retain_graph=True) for the heads
after it; one optimizer step per batch. The encoding is recomputed for every batch. Correct code."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

encoder = nn.Sequential(nn.Linear(20, 32), nn.ReLU())
heads = nn.ModuleList([nn.Linear(32, 2), nn.Linear(32, 5), nn.Linear(32, 3)])
optimizer = torch.optim.Adam([*encoder.parameters(), *heads.parameters()], lr=1e-3)

for batch in range(6):
    x = torch.randn(16, 20)
    targets = [torch.randint(0, h.out_features, (16,)) for h in heads]
    shared = encoder(x)
    optimizer.zero_grad()
    for i, (head, target) in enumerate(zip(heads, targets)):
        loss = F.cross_entropy(head(shared), target)
        loss.backward(retain_graph=i < len(heads) - 1)
    optimizer.step()
    print(batch, round(loss.item(), 4))
