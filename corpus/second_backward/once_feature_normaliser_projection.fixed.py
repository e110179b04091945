# Tabular regression: the raw sensor features are projected to a smaller space with a random
# linear map (kept fixed, never trained) before the regressor is fitted on them.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

raw_features = torch.randn(256, 40)
targets = torch.randn(256, 1)

projector = nn.Sequential(nn.Linear(40, 16), nn.LayerNorm(16))
with torch.no_grad():
    features = projector(raw_features)

regressor = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 1))
opt = torch.optim.SGD(regressor.parameters(), lr=0.05, momentum=0.9)

for epoch in range(8):
    perm = torch.randperm(256)[:64]
    pred = regressor(features[perm])
    loss = F.mse_loss(pred, targets[perm])
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(epoch, round(loss.item(), 4))
