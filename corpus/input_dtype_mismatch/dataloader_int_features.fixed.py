import torch
import torch.nn as nn
from torch import optim
from torch.utils.data import DataLoader, TensorDataset

device = "cpu"


class MLP(nn.Module):
    def __init__(self, in_dim=12, hidden=32, out_dim=2):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, out_dim),
        )

    def forward(self, x):
        return self.layers(x)


torch.manual_seed(0)
# binary indicator features stored as integers
features = torch.randint(0, 2, (256, 12))
labels = torch.randint(0, 2, (256,))
loader = DataLoader(TensorDataset(features, labels), batch_size=32, shuffle=True)

model = MLP().to(device)
optimizer = optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()

for epoch in range(3):
    total = 0.0
    for batch_x, batch_y in loader:
        batch_x, batch_y = batch_x.to(device), batch_y.to(device)
        optimizer.zero_grad()
        loss = criterion(model(batch_x.float()), batch_y)
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: mean loss {total / len(loader):.4f}")
