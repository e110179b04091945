import torch
import torch.nn as nn
import torch.optim as optim

model = nn.Linear(10, 1)
optimizer = optim.Adam(model.parameters(), lr=0.001)

# Incorrect data type
input_tensor = torch.tensor([[1,2,3,4,5,6,7,8,9,10]], dtype=torch.int32)  # Integer type instead of float

output = model(input_tensor.float()) #Casting to float here avoids error, but highlights the issue.
loss = output.mean()
loss.backward()

for param in model.parameters():
    print(param.grad) # Should print gradients, but highlights the potential issue if input_tensor had remained an integer.
