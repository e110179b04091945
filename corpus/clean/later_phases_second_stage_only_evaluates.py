# Stage 1 trains a classifier with dropout; stage 2 only evaluates it: accuracy on a test split,
# then Monte Carlo dropout (dropout left on, gradients off) for an uncertainty estimate.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
w = torch.randn(8, 3)
x_train, x_test = torch.randn(512, 8), torch.randn(128, 8)
y_train, y_test = (x_train @ w).argmax(1), (x_test @ w).argmax(1)

model = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 3))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(10):
    model.train()
    for xb, yb in zip(x_train.split(64), y_train.split(64)):
        optimizer.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        optimizer.step()

# Stage 2: evaluation only.
model.eval()
with torch.no_grad():
    accuracy = (model(x_test).argmax(1) == y_test).float().mean()
print(f"test accuracy {accuracy.item():.3f}")

model.train()  # keep dropout active for MC sampling
samples = []
with torch.no_grad():
    for _ in range(20):
        samples.append(F.softmax(model(x_test), dim=1))
probs = torch.stack(samples)
print(f"mean predictive std {probs.std(dim=0).mean().item():.4f}")
