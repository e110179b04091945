import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)

x = torch.randn(128, 10)
y = torch.randint(0, 4, (128,))

backbone = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())
head = nn.Linear(32, 4)
model = nn.Sequential(backbone, head)

# warm up the head first, backbone frozen
for p in backbone.parameters():
    p.requires_grad = False

optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
criterion = nn.CrossEntropyLoss()

for epoch in range(6):
    if epoch == 2:
        print("unfreezing backbone")
        for p in backbone.parameters():
            p.require_grad = True
    optimizer.zero_grad()
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
