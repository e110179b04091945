# Linear regression on the GPU with hand-made weights.
import torch
import torch.optim as optim

torch.manual_seed(0)

true_w = torch.tensor([[2.0], [-3.0], [0.5]])
x = torch.randn(256, 3)
y = x @ true_w + 0.1 * torch.randn(256, 1)
x, y = x.cuda(), y.cuda()

w = torch.randn(3, 1, requires_grad=True).cuda()
b = torch.zeros(1, requires_grad=True).cuda()

optimizer = optim.SGD([w, b], lr=0.1)

for epoch in range(20):
    optimizer.zero_grad()
    pred = x @ w + b
    loss = ((pred - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch}: loss {loss.item():.4f}")

print("w =", w.detach().cpu().flatten().tolist(), "b =", b.item())
