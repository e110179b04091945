import torch

torch.manual_seed(0)

# y = 3*x0 - 2*x1 + 0.5*x2 + 1 with noise
x = torch.randn(200, 3)
true_w = torch.tensor([[3.0], [-2.0], [0.5]])
y = x @ true_w + 1.0 + 0.1 * torch.randn(200, 1)

w = torch.randn(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1

for epoch in range(20):
    pred = x @ w + b
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    if epoch % 5 == 0:
        print(f"epoch {epoch}: loss {loss.item():.4f}")

print("learned w:", w.squeeze().tolist(), "b:", b.item())
