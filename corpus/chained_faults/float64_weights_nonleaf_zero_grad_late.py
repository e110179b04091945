# Multinomial logistic regression in float64 (the data come from a scientific pipeline in double).
import torch

torch.manual_seed(0)
n, d, k = 600, 5, 3
x = torch.randn(n, d, dtype=torch.float64)
true_w = torch.randn(d, k, dtype=torch.float64)
labels = (x @ true_w).argmax(dim=1)

W = torch.zeros(d, k, requires_grad=True).double()
b = torch.zeros(k, dtype=torch.float64, requires_grad=True)
optimizer = torch.optim.SGD([W, b], lr=0.5)

for epoch in range(100):
    for i in range(0, n, 100):
        logits = x[i:i + 100] @ W + b
        loss = torch.nn.functional.cross_entropy(logits, labels[i:i + 100])
        loss.backward()
        optimizer.zero_grad()
        optimizer.step()
    if epoch % 20 == 0:
        acc = ((x @ W + b).argmax(dim=1) == labels).double().mean()
        print(f"epoch {epoch}: loss {loss.item():.4f} acc {acc.item():.3f}")
