import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

# Synthetic tabular data: 8 integer-valued count features, 3 classes.
x = torch.randint(0, 10, (128, 8))
y = torch.randint(0, 3, (128,))

model = nn.Sequential(
    nn.Linear(8, 32),
    nn.ReLU(),
    nn.Linear(32, 3),
)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(model.parameters(), lr=0.01)

for epoch in range(5):
    optimizer.zero_grad()
    logits = model(x)
    loss = criterion(logits, y)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
