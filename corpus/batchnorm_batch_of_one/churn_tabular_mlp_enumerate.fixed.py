# Predicts customer churn from a table of numeric account features: a small MLP with batch
# normalisation between its layers, trained with Adam on shuffled mini-batches, logging the
# running loss every few batches.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
n_customers, n_features = 513, 12
features = torch.randn(n_customers, n_features)
weights = torch.randn(n_features)
churned = (features @ weights + 0.3 * torch.randn(n_customers) > 0).float()

dataset = TensorDataset(features, churned)
loader = DataLoader(dataset, batch_size=64, shuffle=True, drop_last=True)


class ChurnMLP(nn.Module):
    def __init__(self, n_in, hidden=32):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_in, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
        )
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.out(self.body(x)).squeeze(-1)


model = ChurnMLP(n_features)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
criterion = nn.BCEWithLogitsLoss()

for epoch in range(6):
    model.train()
    running = 0.0
    for step, (x, y) in enumerate(loader):
        logits = model(x)
        loss = criterion(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
        if step % 4 == 3:
            print(f"epoch {epoch} step {step + 1}: loss {running / 4:.4f}")
            running = 0.0

model.eval()
with torch.no_grad():
    accuracy = ((model(features) > 0).float() == churned).float().mean()
print(f"train accuracy {accuracy:.3f}")
