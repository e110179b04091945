# Written for PyTorch 0.3 and still correct: weights are Variables that require grad, inputs are
# Variables that do not, and a loss value is re-wrapped only for the running average.
import torch
from torch.autograd import Variable

torch.manual_seed(0)
x = Variable(torch.randn(120, 3))
y = Variable(x.data @ torch.tensor([1.5, -2.0, 0.5]) + 0.3)

w = Variable(torch.zeros(3), requires_grad=True)
b = Variable(torch.zeros(1), requires_grad=True)
log_scale = torch.nn.Parameter(torch.zeros(1))
optimizer = torch.optim.SGD([w, b, log_scale], lr=0.05)

running = torch.tensor(0.0)
for step in range(40):
    pred = x @ w + b
    loss = (((pred - y) ** 2) * torch.exp(-log_scale)).mean() + log_scale.sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    running = 0.9 * running + 0.1 * torch.tensor(loss.item())
    if step % 10 == 0:
        print(f"step {step}: loss {loss.item():.4f} running {running.item():.4f}")
