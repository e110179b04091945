# Full-batch style training on slices of a tensor: the step fires every `accum` slices, but an
# epoch has fewer slices than that, so the gradients of each epoch are never applied.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
n, batch_size, accum = 120, 20, 8
features = torch.randn(n, 6)
labels = (features[:, 0] + features[:, 1] > 0).long()

net = nn.Sequential(nn.Linear(6, 24), nn.GELU(), nn.Linear(24, 2))
optimizer = torch.optim.SGD(net.parameters(), lr=0.3, momentum=0.9)

for epoch in range(4):
    perm = torch.randperm(n)
    for start in range(0, n, batch_size):
        idx = perm[start:start + batch_size]
        loss = F.cross_entropy(net(features[idx]), labels[idx]) / accum
        loss.backward()
        if (start // batch_size + 1) % accum == 0:
            optimizer.step()
            optimizer.zero_grad()
    print(f"epoch {epoch}: loss {loss.item() * accum:.4f}")
