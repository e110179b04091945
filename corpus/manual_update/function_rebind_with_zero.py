import torch


def fit(x, y, epochs=30, lr=0.05):
    w = torch.randn(x.shape[1], requires_grad=True)
    b = torch.randn(1, requires_grad=True)
    for epoch in range(epochs):
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        w = w - lr * w.grad
        b = b - lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
        if epoch % 10 == 0:
            print(f"epoch {epoch}: mse {loss.item():.4f}")
    return w, b


torch.manual_seed(0)
features = torch.randn(150, 4)
target = features @ torch.tensor([1.0, -1.0, 2.0, 0.0]) + 0.3
weights, bias = fit(features, target)
print("w:", [round(v, 3) for v in weights.tolist()], "b:", round(bias.item(), 3))
