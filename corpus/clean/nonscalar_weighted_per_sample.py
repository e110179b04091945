"""Correct: per-sample losses (reduction="none") weighted by how reliable each label is, then
averaged before backward()."""
import torch
import torch.nn as nn

torch.manual_seed(0)

features = torch.randn(300, 10)
labels = (features[:, 0] - features[:, 1] > 0).long()
confidence = torch.rand(300) * 0.5 + 0.5  # annotator agreement per sample

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
criterion = nn.CrossEntropyLoss(reduction="none")
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

for epoch in range(5):
    for i in range(0, 300, 50):
        per_sample = criterion(model(features[i : i + 50]), labels[i : i + 50])
        loss = (per_sample * confidence[i : i + 50]).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    hardest = per_sample.detach().argmax().item()
    print(f"epoch {epoch}: loss {loss.item():.4f}, hardest sample in last batch: {hardest}")
