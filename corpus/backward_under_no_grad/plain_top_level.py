import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

x_train = torch.randn(64, 8)
y_train = torch.randn(64, 1)
x_val = torch.randn(16, 8)
y_val = torch.randn(16, 1)

model = nn.Sequential(
    nn.Linear(8, 16),
    nn.ReLU(),
    nn.Linear(16, 1),
)
loss_fn = nn.MSELoss()
optimizer = optim.SGD(model.parameters(), lr=0.05)

for epoch in range(5):
    model.train()
    # forward pass and parameter update
    with torch.no_grad():
        pred = model(x_train)
        loss = loss_fn(pred, y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: train loss {loss.item():.4f}")

# validation: no gradients needed here
model.eval()
with torch.no_grad():
    val_pred = model(x_val)
    val_loss = loss_fn(val_pred, y_val)
print(f"val loss {val_loss.item():.4f}")
