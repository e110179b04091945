"""Semi-supervised training with two batches per step: a labelled batch and a batch pseudo-labelled
by the model itself, each backpropagated on its own before one optimizer step (to keep memory
low). The logits are divided by a learned temperature."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class CalibratedClassifier(nn.Module):
    def __init__(self, n_in, n_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 48), nn.ReLU(), nn.Linear(48, n_classes))
        self.temperature = torch.exp(nn.Parameter(torch.zeros(())))

    def forward(self, x):
        return self.body(x) / self.temperature


means = torch.randn(3, 12) * 1.5
model = CalibratedClassifier(12, 3)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

for step in range(40):
    labels = torch.randint(0, 3, (32,))
    labelled = means[labels] + torch.randn(32, 12)
    unlabelled = means[torch.randint(0, 3, (64,))] + torch.randn(64, 12)

    optimizer.zero_grad()
    supervised = F.cross_entropy(model(labelled), labels)
    supervised.backward()
    with torch.no_grad():
        pseudo = model(unlabelled).argmax(1)
    consistency = 0.5 * F.cross_entropy(model(unlabelled + 0.1 * torch.randn_like(unlabelled)), pseudo)
    consistency.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}: supervised {supervised.item():.3f}  consistency {consistency.item():.3f}")
