# NumPy where it belongs: standardising the raw data before training, and metrics on detached
# predictions. The model itself runs in torch.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(0)
raw = rng.normal(loc=5.0, scale=3.0, size=(600, 12)).astype(np.float32)
labels = (raw[:, 0] + raw[:, 1] > 10).astype(np.int64)
mean, std = np.mean(raw, axis=0), np.std(raw, axis=0)
features = torch.from_numpy((raw - mean) / np.maximum(std, 1e-6))
targets = torch.from_numpy(labels)

model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

history = []
for epoch in range(10):
    for i in range(0, 600, 100):
        logits = model(features[i:i + 100])
        loss = F.cross_entropy(logits, targets[i:i + 100])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    preds = logits.detach().cpu().numpy()
    accuracy = np.mean(np.argmax(preds, axis=1) == labels[i:i + 100])
    print(f"epoch {epoch}: loss {np.mean(history[-6:]):.3f} acc {accuracy:.2f} p90 {np.percentile(history, 90):.3f}")
