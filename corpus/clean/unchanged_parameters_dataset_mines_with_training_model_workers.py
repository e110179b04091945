# Correct: the Dataset holds the model itself to mine a hard negative per anchor (no_grad, workers).
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)


class Embedder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8))
        self.proj = nn.Linear(8, 8)  # used by export(), not by training

    def forward(self, x):
        return nn.functional.normalize(self.net(x), dim=-1)

    def export(self, x):
        return self.proj(self(x))


class Triplets(Dataset):
    def __init__(self, points, model):
        self.points, self.model = points, model

    def __len__(self):
        return len(self.points)

    def __getitem__(self, i):
        anchor = self.points[i]
        with torch.no_grad():
            candidates = self.points[torch.randint(0, len(self.points), (8,))]
            sims = self.model(candidates) @ self.model(anchor[None]).T
        negative = candidates[sims.argmax()]
        positive = anchor + 0.05 * torch.randn_like(anchor)
        return anchor, positive, negative


model = Embedder()
loader = DataLoader(Triplets(torch.randn(64, 6), model), batch_size=16, shuffle=True, num_workers=2)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(3):
    for a, p, n in loader:
        optimizer.zero_grad()
        loss = nn.functional.triplet_margin_loss(model(a), model(p), model(n))
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
