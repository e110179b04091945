# A whole model saved with torch.save(model) and loaded back: the optimizer gets its parameters.
import io

import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(0)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 14 * 14, 10)

    def forward(self, x):
        return self.fc(torch.max_pool2d(torch.relu(self.conv(x)), 2).flatten(1))


buf = io.BytesIO()
torch.save(SmallCNN(), buf)
buf.seek(0)

model = torch.load(buf, weights_only=False)
optimizer = optim.SGD(model.parameters(), lr=0.01)
x = torch.randn(32, 1, 28, 28)
target = torch.randint(0, 10, (32,))
for epoch in range(5):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), target)
    loss.backward()
    optimizer.step()
    print(epoch, round(loss.item(), 5))
