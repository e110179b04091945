import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

x_train = torch.randn(160, 10)
y_train = (x_train[:, 0] + x_train[:, 1] > 0).long()
x_val = torch.randn(40, 10)
y_val = (x_val[:, 0] + x_val[:, 1] > 0).long()

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 2))
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
criterion = nn.CrossEntropyLoss()


def train_step(inputs, targets):
    model.train()
    optimizer.zero_grad()
    loss = criterion(model(inputs), targets)
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(inputs, targets):
    model.eval()
    logits = model(inputs)
    acc = (logits.argmax(dim=1) == targets).float().mean()
    return criterion(logits, targets).item(), acc.item()


for epoch in range(8):
    train_loss = train_step(x_train, y_train)
    val_loss, val_acc = evaluate(x_val, y_val)
    print(f"epoch {epoch}: train {train_loss:.4f} val {val_loss:.4f} acc {val_acc:.3f}")
