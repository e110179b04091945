import torch as th

th.manual_seed(0)

# ridge regression fitted by plain gradient descent on two tensors
features = th.randn(256, 5)
true_w = th.tensor([0.5, -1.0, 2.0, 0.0, 0.3])
target = features @ true_w + 0.7 + 0.05 * th.randn(256)

weights = th.zeros(5, requires_grad=True)
bias = th.zeros(1, requires_grad=True)
lr, l2 = 0.1, 1e-3

for it in range(40):
    pred = features @ weights + bias
    loss = ((pred - target) ** 2).mean() + l2 * (weights ** 2).sum()
    loss.backward()
    # step against the gradient
    with th.no_grad():
        weights.sub_(lr * weights.grad)
        bias.sub_(lr * bias.grad)
    weights.grad.zero_()
    bias.grad.zero_()
    if it % 10 == 0:
        print(f"iter {it}: loss {loss.item():.4f}")

print("weights:", [round(v, 2) for v in weights.tolist()], "bias:", round(bias.item(), 2))
