# Siamese encoder trained with a contrastive loss; the projection head sits in forward().
import torch as T
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64))
        self.projector = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16))

    def forward(self, x):
        h = F.relu(self.backbone(x))
        return F.normalize(self.projector(h), dim=1)


def info_nce(z1, z2, temperature=0.2):
    logits = z1 @ z2.t() / temperature
    return F.cross_entropy(logits, T.arange(len(z1)))


T.manual_seed(0)
data = T.randn(256, 20)
encoder = Encoder()
encoder(data[:2])
optimizer = T.optim.AdamW(encoder.parameters(), lr=1e-3)

for step, i in enumerate(range(0, 256, 32)):
    batch = data[i:i + 32]
    view1 = batch + 0.05 * T.randn_like(batch)
    view2 = batch + 0.05 * T.randn_like(batch)
    loss = info_nce(encoder(view1), encoder(view2))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"step {step}: {loss.item():.4f}")
