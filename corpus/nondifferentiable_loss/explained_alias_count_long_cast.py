import torch as T
import torch.nn as nn
import torch.nn.functional as F

T.manual_seed(0)

features = T.randn(150, 6)
rates = T.exp(0.3 * features[:, 0] + 0.2 * features[:, 1] + 1.0)
counts = T.poisson(rates)

model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1), nn.Softplus())
optimizer = T.optim.Adam(model.parameters(), lr=1e-2)

for step in range(6):
    optimizer.zero_grad()
    # counts are whole numbers, so predict whole numbers too
    predicted_counts = model(features).squeeze(1).long()
    loss = F.l1_loss(predicted_counts.float(), counts)
    loss.backward()
    optimizer.step()
    print(f"step {step}: mae {loss.item():.3f}")
