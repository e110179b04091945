"""Linear probe on float64 features: the weights are cast to the features' dtype after
requires_grad=True, so the optimizer is given copies (non-leaves)."""
import torch

torch.manual_seed(0)
features = torch.randn(64, 4, dtype=torch.float64)
labels = (features.sum(1, keepdim=True) > 0).to(torch.float64)

weight = torch.zeros(4, 1, requires_grad=True).type_as(features)
bias = torch.zeros(1, requires_grad=True).type_as(features)
optimizer = torch.optim.SGD([weight, bias], lr=0.5)

for epoch in range(30):
    logits = features @ weight + bias
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(float(loss))
