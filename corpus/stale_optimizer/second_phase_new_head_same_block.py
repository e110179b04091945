"""Two phases in one block: an autoencoder is trained, then its decoder's output layer is swapped
for a regression head and training goes on with the optimizer of phase one."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
lr = 2e-3
signals = torch.randn(128, 16)
targets = signals[:, :4].sum(dim=1, keepdim=True)

model = nn.Sequential(nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 16))
optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)

for step in range(5):
    optimizer.zero_grad()
    reconstruction = F.mse_loss(model(signals), signals)
    reconstruction.backward()
    optimizer.step()

# phase two: the code is kept, the output layer now predicts the target
model[2] = nn.Linear(8, 1)
for step in range(5):
    optimizer.zero_grad()
    loss = F.mse_loss(model(signals), targets)
    loss.backward()
    optimizer.step()
    print(step, loss.item())
