# Resuming from two in-memory buffers: torch.save(model) and torch.save(optimizer) each write their
# own copy of the weights, so after loading both the optimizer steps tensors the model never uses.
import io

import torch
import torch.nn as nn

torch.manual_seed(0)

net = nn.Sequential(nn.Conv1d(2, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6, 3))
opt = torch.optim.RMSprop(net.parameters(), lr=1e-3)
signals, labels = torch.randn(16, 2, 8), torch.randint(0, 3, (16,))

for step in range(3):
    opt.zero_grad()
    nn.functional.cross_entropy(net(signals), labels).backward()
    opt.step()

model_buffer, optimizer_buffer = io.BytesIO(), io.BytesIO()
torch.save(net, model_buffer)
torch.save(opt, optimizer_buffer)
model_buffer.seek(0)
optimizer_buffer.seek(0)


def resume(steps):
    model = torch.load(model_buffer, weights_only=False)
    optimizer = torch.load(optimizer_buffer, weights_only=False)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(signals), labels)
        loss.backward()
        optimizer.step()
    return model, loss.item()


resumed, last = resume(5)
print("resumed loss", last)
