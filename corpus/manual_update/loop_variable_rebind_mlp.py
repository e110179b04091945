import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 1))
inputs = torch.randn(128, 5)
targets = inputs.pow(2).sum(dim=1, keepdim=True)
learning_rate = 0.05

for epoch in range(20):
    model.zero_grad()
    loss = F.mse_loss(model(inputs), targets)
    loss.backward()
    # plain gradient descent, no optimizer
    for param in model.parameters():
        param = param - learning_rate * param.grad
    if epoch % 5 == 0:
        print(f"epoch {epoch}: {loss.item():.4f}")
