import torch as T
import torch.nn as nn

device = "cpu"
T.manual_seed(0)

x = T.randn(100, 5, device=device)
y = T.randint(0, 2, (100,), device=device)
x_val = T.randn(30, 5, device=device)
y_val = T.randint(0, 2, (30,), device=device)

model = nn.Sequential(nn.Linear(5, 20), nn.ReLU(), nn.Linear(20, 2)).to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = T.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

# full-batch training with a validation check every epoch
for epoch in range(6):
    with T.no_grad():
        out = model(x)
        loss = loss_fn(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        val_out = model(x_val)
        val_acc = (val_out.argmax(1) == y_val).float().mean()
    print(f"epoch {epoch} loss {loss.item():.4f} val_acc {val_acc.item():.3f}")
