"""A GCN over a fixed, unweighted sparse adjacency: `_values()` reads the constant edge weights to
normalise them; nothing behind them is trained."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
edges = torch.randint(0, 30, (2, 120))
adj = torch.sparse_coo_tensor(edges, torch.ones(120), (30, 30)).coalesce()
idx, val = adj._indices(), adj._values()
degree = torch.zeros(30).index_add(0, idx[0], val).clamp(min=1)
norm = torch.sparse_coo_tensor(idx, val / degree[idx[0]], (30, 30))
x, y = torch.randn(30, 5), torch.randint(0, 3, (30,))
lin1, lin2 = nn.Linear(5, 16), nn.Linear(16, 3)
optimizer = torch.optim.Adam([*lin1.parameters(), *lin2.parameters()], lr=1e-2)
for step in range(30):
    h = F.relu(torch.sparse.mm(norm, lin1(x)))
    loss = F.cross_entropy(lin2(torch.sparse.mm(norm, h)), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.3f}")
