# Train a classifier, then calibrate it with temperature scaling on a held-out split.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
x_train, x_val = torch.randn(800, 12), torch.randn(200, 12)
w_true = torch.randn(12, 4)
y_train, y_val = (x_train @ w_true).argmax(1), (x_val @ w_true).argmax(1)

net = nn.Sequential(nn.Linear(12, 48), nn.ReLU(), nn.Linear(48, 4))
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
for epoch in range(20):
    for xb, yb in zip(x_train.split(100), y_train.split(100)):
        optimizer.zero_grad()
        F.cross_entropy(net(xb), yb).backward()
        optimizer.step()

# Calibration: a single temperature fitted on the validation logits; the network stays fixed.
net.eval()
net.requires_grad_(False)
temperature = nn.Parameter(torch.ones(1))
calib_opt = torch.optim.Adam([temperature], lr=0.05)
for it in range(100):
    logits = net(x_val)
    nll = F.cross_entropy(logits / temperature, y_val)
    calib_opt.zero_grad()
    nll.backward()
    calib_opt.step()
print(f"temperature {temperature.item():.3f}, calibrated nll {nll.item():.4f}")
