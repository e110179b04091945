import torch
import torch.nn as nn
import torch.optim as optim

class SimpleNet(nn.Module):
    def __init__(self):
        super(SimpleNet, self).__init__()
        self.linear = nn.Linear(10, 1)

    def forward(self, x):
        return self.linear(x)

model = SimpleNet()
optimizer = optim.SGD(model.parameters(), lr=0.01)

input_tensor = torch.randn(1,10)
# Accidentally computing the forward pass without gradient tracking
with torch.no_grad():
    output = model(input_tensor)
    loss = output.mean()
loss.backward()
optimizer.step()

for param in model.parameters():
    print(param.grad) # Will print None for all parameters
