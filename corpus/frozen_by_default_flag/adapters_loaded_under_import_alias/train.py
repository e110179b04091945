# Continues training the bottleneck adapters of a frozen tabular encoder on a house-price style
# regression task: the adapters saved by an earlier run on another region are loaded back and
# trained further with Adam; the frozen encoder itself is left as it is.
import torch
from torch import nn

from adapters import Adapter, load_adapter as attach_adapters

torch.manual_seed(0)
DIM, BOTTLENECK = 32, 8


class Regressor(nn.Module):
    def __init__(self, blocks, readout):
        super().__init__()
        self.embed = nn.Linear(10, DIM)
        self.blocks = blocks
        self.readout = readout

    def forward(self, x):
        h = self.embed(x)
        for block in self.blocks:
            h = block(h)
        return self.readout(h).squeeze(-1)


encoder = [nn.Sequential(nn.Linear(DIM, DIM), nn.GELU()) for _ in range(3)]
readout = nn.Linear(DIM, 1)
for part in (*encoder, readout):
    part.requires_grad_(False)
other_region = [Adapter(DIM, BOTTLENECK).state_dict() for _ in encoder]
model = Regressor(attach_adapters(encoder, other_region, bottleneck=BOTTLENECK), readout)
model.embed.requires_grad_(False)
optimizer = torch.optim.Adam((p for p in model.parameters() if p.requires_grad), lr=1e-3)

features = torch.randn(600, 10)
prices = features[:, :3].sum(1) + 0.5 * features[:, 3] * features[:, 4] + 0.1 * torch.randn(600)
for epoch in range(5):
    for i in range(0, 600, 50):
        loss = nn.functional.mse_loss(model(features[i:i + 50]), prices[i:i + 50])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} mse {loss.item():.4f}")
