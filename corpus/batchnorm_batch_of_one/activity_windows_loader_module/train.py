# Recognises the activity (sitting, walking, running, cycling) from three-axis accelerometer
# windows built by the data module beside this script: a 1-D CNN, global average pooling and a
# head whose hidden layer is batch-normalised; reports validation accuracy after each epoch.
import torch
from torch import nn

from data import ACTIVITIES, make_loaders

torch.manual_seed(4)
train_loader, val_loader = make_loaders(batch_size=32)

model = nn.Sequential(
    nn.Conv1d(3, 16, 5, padding=2),
    nn.ReLU(),
    nn.Conv1d(16, 32, 5, padding=2, stride=2),
    nn.ReLU(),
    nn.AdaptiveAvgPool1d(1),
    nn.Flatten(),
    nn.Linear(32, 32),
    nn.BatchNorm1d(32),
    nn.ReLU(),
    nn.Linear(32, len(ACTIVITIES)),
)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
criterion = nn.CrossEntropyLoss()

for epoch in range(6):
    model.train()
    for windows, activity in train_loader:
        loss = criterion(model(windows), activity)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()

    model.eval()
    hits = total = 0
    with torch.no_grad():
        for windows, activity in val_loader:
            hits += (model(windows).argmax(1) == activity).sum().item()
            total += len(activity)
    print(f"epoch {epoch}: loss {loss.item():.4f}, validation accuracy {hits / total:.3f}")
