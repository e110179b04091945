# Click prediction for mobile app ads with the DLRM-style model from the helper module: four
# dense features and five categorical fields (device, app, site category, hour of day, device
# type), one embedding table per field, synthetic impressions, binary cross-entropy with Adagrad.
import torch
from torch import nn

from dlrm import DLRM

FIELDS = {"device_id": 1500, "app_id": 400, "site_category": 26, "hour": 24, "device_type": 5}
DIM = 16

torch.manual_seed(0)
n = 3000
field_ids = torch.stack([torch.randint(0, size, (n,)) for size in FIELDS.values()], dim=1)
dense = torch.randn(n, 4)
propensity = 0.7 * dense[:, 0] + 0.5 * (field_ids[:, 2] < 5).float() - 0.4 * (field_ids[:, 3] < 6).float()
clicked = torch.bernoulli(torch.sigmoid(propensity - 1.0))

sparse_tables = nn.Sequential(*(nn.Embedding(size, DIM) for size in FIELDS.values()))
model = DLRM(sparse_tables, n_dense=4, dim=DIM)
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)
loss_fn = nn.BCEWithLogitsLoss()

for epoch in range(4):
    total = 0.0
    for start in range(0, n, 250):
        logits = model(dense[start:start + 250], field_ids[start:start + 250])
        loss = loss_fn(logits, clicked[start:start + 250])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: mean log loss {total / (n // 250):.4f}")
