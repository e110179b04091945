# Double backpropagation (Drucker & LeCun): the training loss is penalised by the norm of its
# gradient with respect to the inputs, taken with torch.autograd.grad(create_graph=True).
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 3))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
data = torch.randn(512, 16)
labels = (data[:, :3].argmax(1))
penalty_weight = 0.1

for epoch in range(10):
    perm = torch.randperm(512)
    for i in range(0, 512, 64):
        idx = perm[i : i + 64]
        x = data[idx].requires_grad_(True)
        loss = criterion(model(x), labels[idx])
        (grad_x,) = torch.autograd.grad(loss, x, create_graph=True)
        total = loss + penalty_weight * grad_x.pow(2).sum(1).mean()
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    print(epoch, total.item())
