"""Random-feature regression: the inputs are mapped once through a fixed random projection, under
torch.no_grad(), and every step reads the mapped features. The projection is not meant to train
and its output carries no graph. Correct code."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

x = torch.randn(200, 10)
y = (x[:, :3].sum(1, keepdim=True) > 0).float()

random_features = nn.Linear(10, 64)
random_features.requires_grad_(False)
with torch.no_grad():
    phi = torch.cos(random_features(x))

readout = nn.Linear(64, 1)
opt = torch.optim.SGD(readout.parameters(), lr=0.1)
for step in range(10):
    batch = torch.randint(0, 200, (50,))
    loss = F.binary_cross_entropy_with_logits(readout(phi[batch]), y[batch])
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 4))
