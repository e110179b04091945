import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

device = "cpu"


class LateFusion(nn.Module):
    """Encode image features and tabular features, then fuse."""

    def __init__(self, hidden=16, classes=3):
        super().__init__()
        self.encoders = nn.ModuleList([nn.Linear(8, hidden), nn.Linear(4, hidden)])
        self.classifier = nn.Linear(2 * hidden, classes)

    def forward(self, img_feats, tab_feats):
        parts = [torch.tanh(enc(inp)) for enc, inp in zip(self.encoders, (img_feats, tab_feats))]
        return self.classifier(torch.cat(parts, dim=1))


torch.manual_seed(0)
dataset = TensorDataset(torch.randn(96, 8), torch.randn(96, 4), torch.randint(0, 3, (96,)))
loader = DataLoader(dataset, batch_size=32, shuffle=True)

model = LateFusion().to(device)
optimizer = optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.CrossEntropyLoss()

for epoch in range(2):
    for img, tab, y in loader:
        img, tab, y = img.to(device), tab.to(device), y.to(device)
        optimizer.zero_grad()
        loss = criterion(model(img, tab), y)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
