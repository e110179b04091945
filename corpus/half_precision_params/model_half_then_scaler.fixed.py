"""Tabular classifier trained in mixed precision: the model was cast to float16 "to save memory",
then wrapped in autocast with a GradScaler."""
import torch
import torch.nn as nn

torch.manual_seed(0)
device = "cpu"


class MLP(nn.Module):
    def __init__(self, d_in=20, d_hidden=64, classes=4):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Dropout(0.1), nn.Linear(d_hidden, classes)
        )

    def forward(self, x):
        return self.net(x)


model = MLP().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scaler = torch.amp.GradScaler(device)
criterion = nn.CrossEntropyLoss()

features = torch.randn(256, 20)
labels = torch.randint(0, 4, (256,))
for epoch in range(4):
    for i in range(0, 256, 64):
        optimizer.zero_grad()
        with torch.autocast(device_type=device, dtype=torch.float16):
            logits = model(features[i : i + 64].to(device))
            loss = criterion(logits.float(), labels[i : i + 64].to(device))
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(epoch, loss.item())
