# Scores loan applications for default risk from numeric application features: an MLP with batch
# normalisation after each hidden layer, trained with Adam on shuffled mini-batches. The table's
# size leaves one row over a whole number of batches, and the loader drops that short last batch.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(5)
n_rows, n_features = 513, 10
applications = torch.randn(n_rows, n_features)
risk_weights = torch.linspace(-1, 1, n_features)
defaulted = (applications @ risk_weights + 0.5 * torch.randn(n_rows) > 0.5).float()

loader = DataLoader(
    TensorDataset(applications, defaulted),
    batch_size=64,
    shuffle=True,
    drop_last=True,
)

model = nn.Sequential(
    nn.Linear(n_features, 48),
    nn.BatchNorm1d(48),
    nn.ReLU(),
    nn.Linear(48, 24),
    nn.BatchNorm1d(24),
    nn.ReLU(),
    nn.Linear(24, 1),
)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(2.0))

for epoch in range(6):
    model.train()
    seen = 0
    for step, (x, y) in enumerate(loader):
        loss = criterion(model(x).squeeze(-1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen += len(y)
    print(f"epoch {epoch}: {seen} rows, last loss {loss.item():.4f}")

model.eval()
with torch.no_grad():
    predicted = (model(applications).squeeze(-1) > 0).float()
print(f"train accuracy {(predicted == defaulted).float().mean():.3f}")
