# Trains a linear probe on features of a small frozen feature extractor. The Dataset computes each
# sample's features under torch.no_grad() (the extractor is never trained), so the loader can use
# worker processes.
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Features(Dataset):
    def __init__(self, n, extractor):
        g = torch.Generator().manual_seed(3)
        self.x = torch.randn(n, 12, generator=g)
        self.y = (self.x[:, :3].sum(1) > 0).long()
        self.extractor = extractor

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        with torch.no_grad():
            return self.extractor(self.x[i]), self.y[i]


if __name__ == "__main__":
    torch.manual_seed(0)
    extractor = nn.Sequential(nn.Linear(12, 24), nn.Tanh())
    probe = nn.Linear(24, 2)
    loader = DataLoader(Features(256, extractor), batch_size=32, shuffle=True, num_workers=2)
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-2)
    for epoch in range(3):
        for feats, y in loader:
            loss = nn.functional.cross_entropy(probe(feats), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")
