# An inference script turned into a fine-tuning script: the global switch at the top stayed, and
# the total loss was re-wrapped so that backward() would stop complaining.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_grad_enabled(False)
torch.manual_seed(0)

encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
decoder = nn.Linear(8, 16)
classifier = nn.Linear(8, 3)
params = list(encoder.parameters()) + list(decoder.parameters()) + list(classifier.parameters())
optimizer = torch.optim.SGD(params, lr=0.05, momentum=0.9)

x = torch.randn(150, 16)
y = (x[:, :3].sum(1) > 0).long() + (x[:, 3] > 1).long()
for epoch in range(4):
    for xb, yb in zip(x.split(50), y.split(50)):
        z = encoder(xb)
        total = F.cross_entropy(classifier(z), yb) + 0.1 * F.mse_loss(decoder(z), xb)
        total = torch.autograd.Variable(total.data, requires_grad=True)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    print(f"epoch {epoch}: total {total.item():.4f}")
