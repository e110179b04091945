# GPU-ready: every learned tensor is created on the device, so it stays a leaf on a GPU too.
import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class PrototypeClassifier(nn.Module):
    def __init__(self, dim, n_classes):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, dim))
        self.prototypes = nn.Parameter(torch.randn(n_classes, dim, device=device))
        self.log_scale = nn.Parameter(torch.tensor(2.0, device=device))

    def forward(self, x):
        z = F.normalize(self.encoder(x), dim=1)
        return self.log_scale.exp() * z @ F.normalize(self.prototypes, dim=1).t()


torch.manual_seed(0)
model = PrototypeClassifier(8, 4).to(device)
task_weights = torch.zeros(2, device=device, requires_grad=True)
optimizer = torch.optim.Adam([*model.parameters(), task_weights], lr=3e-3)

x = torch.randn(256, 10, device=device)
y = torch.randint(0, 4, (256,), device=device)
for step in range(80):
    logits = model(x)
    losses = torch.stack([F.cross_entropy(logits, y), logits.pow(2).mean()])
    loss = (losses * torch.exp(-task_weights) + task_weights).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"loss {loss.item():.4f}")
