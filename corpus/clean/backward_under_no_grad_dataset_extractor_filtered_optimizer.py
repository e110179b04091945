"""A fixed random-projection front-end kept beside the classifier in one ModuleDict: the Dataset
applies it under no_grad, and the optimizer is built over what requires grad, as for any frozen
part. The block is the freeze."""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)

parts = nn.ModuleDict({"projection": nn.Linear(32, 8), "classifier": nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 2))})


class Projected(Dataset):
    def __init__(self, signals, targets, projection):
        self.signals = signals
        self.targets = targets
        self.projection = projection

    def __len__(self):
        return len(self.signals)

    def __getitem__(self, index):
        with torch.no_grad():
            sketch = self.projection(self.signals[index])
        return sketch, self.targets[index]


signals = torch.randn(60, 32)
targets = (signals[:, 0] > 0).long()
loader = DataLoader(Projected(signals, targets, parts["projection"]), batch_size=12, shuffle=True)
optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, parts.parameters()), lr=1e-2)

for epoch in range(3):
    for sketch, target in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(parts["classifier"](sketch), target)
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
