# The model and the optimizer saved in one torch.save call and loaded together: the loaded
# optimizer holds the loaded model's parameters.
import io

import torch
import torch.nn as nn

torch.manual_seed(0)

net = nn.Sequential(nn.Linear(5, 10), nn.Tanh(), nn.Linear(10, 2))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
inputs, labels = torch.randn(24, 5), torch.randint(0, 2, (24,))

for _ in range(3):
    opt.zero_grad()
    nn.functional.cross_entropy(net(inputs), labels).backward()
    opt.step()

buffer = io.BytesIO()
torch.save({"model": net, "optimizer": opt}, buffer)
buffer.seek(0)
restored = torch.load(buffer, weights_only=False)
model, optimizer = restored["model"], restored["optimizer"]
for _ in range(5):
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(inputs), labels).backward()
    optimizer.step()
print("resumed")
