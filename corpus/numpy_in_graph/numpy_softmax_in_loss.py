# Soft-label distillation written as in a NumPy tutorial: the student's softmax in NumPy.
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
X = torch.randn(300, 10)
teacher_probs = torch.softmax(X @ torch.randn(10, 5), dim=1)

student = nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 5))
optimizer = torch.optim.SGD(student.parameters(), lr=0.5)

for epoch in range(30):
    logits = student(X)
    probs = np.exp(logits) / np.sum(np.exp(logits), axis=1, keepdims=True)
    loss = -(teacher_probs * torch.log(probs + 1e-8)).sum(dim=1).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0:
        print(epoch, loss.item())
