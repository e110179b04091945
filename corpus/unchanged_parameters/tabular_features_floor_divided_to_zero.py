"""A classifier on 8-bit sensor readings: the readings are scaled with floor division on the
integer tensor, so every feature becomes 0 and the first layer's weight never learns (its bias
does)."""
import torch
import torch.nn as nn

torch.manual_seed(0)

readings = torch.randint(0, 250, (256, 12))  # raw ADC counts, 0..249
labels = (readings[:, :3].sum(dim=1) > 375).long()
features = readings // 255  # scaled to [0, 1]

model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(20):
    for start in range(0, 256, 64):
        x = features[start:start + 64].float()
        y = labels[start:start + 64]
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
