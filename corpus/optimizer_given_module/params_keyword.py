import torch
from torch import nn
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

net = nn.Sequential(
    nn.Conv1d(1, 8, kernel_size=5, padding=2),
    nn.ReLU(),
    nn.AdaptiveAvgPool1d(4),
    nn.Flatten(),
    nn.Linear(32, 2),
)
opt = Adam(params=net, lr=3e-3, betas=(0.9, 0.99))

signals = torch.randn(96, 1, 64)
labels = (signals.mean(dim=(1, 2)) > 0).long()
loader = DataLoader(TensorDataset(signals, labels), batch_size=32, shuffle=True)

for epoch in range(2):
    for xb, yb in loader:
        logits = net(xb)
        loss = nn.functional.cross_entropy(logits, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print("epoch", epoch, "loss", round(loss.item(), 4))
