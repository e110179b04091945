import torch
import torch.nn.functional as F

torch.manual_seed(0)
features, classes = 20, 4
X = torch.randn(256, features)
true_w = torch.randn(features, classes)
y = (X @ true_w).argmax(dim=1)

# small random init, as in the textbook
W = (torch.randn(features, classes) * 0.01).requires_grad_()
b = torch.zeros(classes, requires_grad=True)
optimizer = torch.optim.SGD([W, b], lr=0.5)

for epoch in range(30):
    logits = X @ W + b
    loss = F.cross_entropy(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if epoch % 10 == 0:
        print(f"epoch {epoch}: loss {loss.item():.3f}")
