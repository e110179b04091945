import torch
import torch.nn as nn
import torch.optim as optim

model = nn.Sequential(nn.Linear(10, 5), nn.ReLU(), nn.Linear(5, 1))

optimizer = optim.Adam(model.parameters(), lr=0.001)
input_tensor = torch.randn(1,10)
output = model(input_tensor)
loss = output.mean()
loss.backward()

for param in model[0].parameters(): # Only parameters in the first layer will have grad = None.
    print(param.grad)
for param in model[2].parameters(): # Other layer's parameters will have grad calculated.
    print(param.grad)
