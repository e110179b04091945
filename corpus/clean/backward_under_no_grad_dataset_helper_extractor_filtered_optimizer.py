"""A frozen random projection applied by a helper method the Dataset's `__getitem__` calls, under
no_grad; the optimizer is built over what requires grad and the projection is frozen in the
helper's own block, as a fixed feature extractor is. Correct: only the classifier trains."""
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)

parts = nn.ModuleDict({"sketch": nn.Linear(24, 6), "classifier": nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 2))})


class Sketched(Dataset):
    def __init__(self, rows, targets, sketch):
        self.rows, self.targets, self.sketch = rows, targets, sketch

    def __len__(self):
        return len(self.rows)

    def encode(self, row):
        with torch.no_grad():
            code = self.sketch(row)
        return code

    def __getitem__(self, index):
        return self.encode(self.rows[index]), self.targets[index]


rows = torch.randn(60, 24)
targets = (rows[:, :3].sum(dim=1) > 0).long()
loader = DataLoader(Sketched(rows, targets, parts["sketch"]), batch_size=12, shuffle=True)
optimizer = torch.optim.Adam([p for p in parts.parameters() if p.requires_grad], lr=1e-2)

for epoch in range(3):
    for code, target in loader:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(parts["classifier"](code), target)
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
