# Learned mixing weights over the layers of a frozen feature extractor (ELMo-style scalar mix).
# The weights are created as a Parameter, then cast to float64 to match the cached features.
import torch
import torch.nn as nn
from torch.nn import Parameter

torch.manual_seed(0)

layers, batch, dim = 4, 64, 16
features = torch.randn(layers, batch, dim, dtype=torch.float64)  # cached, frozen encoder outputs
targets = (features[2] * 0.8 + features[3] * 0.2).sum(dim=1)

head = nn.Linear(dim, 1).double()
mix = Parameter(torch.zeros(layers))
mix = mix.to(torch.float64)
gamma = Parameter(torch.ones(1, dtype=torch.float64))

optimizer = torch.optim.SGD([mix, gamma] + list(head.parameters()), lr=0.1)
for step in range(50):
    weights = torch.softmax(mix, dim=0)
    mixed = gamma * (weights[:, None, None] * features).sum(dim=0)
    loss = ((head(mixed).squeeze(1) - targets) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}: loss {loss.item():.4f} mix {torch.softmax(mix, 0).tolist()}")
