# Predict late delivery from integer order counts; gradients are cleared after each step.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset


class OrderCounts(Dataset):
    def __init__(self, n=384):
        g = torch.Generator().manual_seed(1)
        self.counts = torch.randint(0, 20, (n, 5), generator=g)
        self.late = (self.counts[:, 0] + self.counts[:, 4] > 22).long()

    def __len__(self):
        return len(self.counts)

    def __getitem__(self, i):
        return self.counts[i].float() / 20.0, self.late[i]


torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 24), nn.ReLU(), nn.Linear(24, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
optimizer.zero_grad()
for epoch in range(4):
    for counts, late in DataLoader(OrderCounts(), batch_size=48, shuffle=True):
        loss = F.cross_entropy(model(counts), late)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
