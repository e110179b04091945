# Person re-identification embeddings: a small MLP maps synthetic appearance descriptors to a
# 32-d embedding, trained with a batch-hard triplet loss (hardest positive and negative per
# anchor from the batch's pairwise distances) under bfloat16 autocast and a GradScaler.
import torch
from torch import nn

torch.manual_seed(3)
num_ids, per_id, dim = 12, 8, 48
centres = torch.randn(num_ids, dim) * 2
features = centres.repeat_interleave(per_id, 0) + torch.randn(num_ids * per_id, dim)
identities = torch.arange(num_ids).repeat_interleave(per_id)


class BatchHardTriplet(nn.Module):
    def __init__(self, margin=0.3):
        super().__init__()
        self.margin = margin

    def pairwise(self, emb):
        a, b = emb.unsqueeze(1), emb.unsqueeze(0)
        return (a - b).pow(2).sum(-1).clamp_min(1e-12).sqrt()

    def forward(self, emb, labels):
        dist = self.pairwise(emb)
        same = labels.unsqueeze(1) == labels.unsqueeze(0)
        hardest_pos = dist.masked_fill(~same, 0.0).amax(1)
        hardest_neg = dist.masked_fill(same, float("inf")).amin(1)
        return torch.relu(hardest_pos - hardest_neg + self.margin).mean()


embedder = nn.Sequential(nn.Linear(dim, 128), nn.ReLU(), nn.Linear(128, 32))
criterion = BatchHardTriplet(margin=0.3)
optimizer = torch.optim.SGD(embedder.parameters(), lr=0.05, momentum=0.9)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(6):
    order = torch.randperm(num_ids)
    for start in range(0, num_ids, 4):
        chosen = torch.isin(identities, order[start:start + 4])
        x, y = features[chosen], identities[chosen]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            emb = nn.functional.normalize(embedder(x).float(), dim=-1)
            loss = criterion(emb, y)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: triplet loss {loss.item():.4f} scale {scaler.get_scale():.1f}")
