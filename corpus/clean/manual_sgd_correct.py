import torch

torch.manual_seed(0)

# linear regression by hand-written gradient descent
x = torch.randn(200, 3)
y = x @ torch.tensor([[1.5], [-0.5], [2.0]]) - 0.7 + 0.1 * torch.randn(200, 1)

w = torch.randn(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1

for epoch in range(30):
    loss = ((x @ w + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()
    b.grad.zero_()
    if epoch % 10 == 0:
        print(f"epoch {epoch}: loss {loss.item():.4f}")

print("w:", [round(v, 3) for v in w.squeeze(1).tolist()], "b:", round(b.item(), 3))
