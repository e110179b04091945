import torch

from bayes import EvidenceRegression

torch.manual_seed(0)
x = torch.rand(200, 2) * 6 - 3
y = (torch.sin(x[:, :1]) * torch.cos(0.5 * x[:, 1:])) + 0.1 * torch.randn(200, 1)

model = EvidenceRegression(2)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for it in range(50):
    optimizer.zero_grad()
    loss = model.negative_log_evidence(x, y) / len(x)
    loss.backward()
    optimizer.step()
    if it % 10 == 0:
        print(f"it {it}: -log evidence per point {loss.item():.4f}, noise std {model.noise_precision.rsqrt().item():.3f}")
