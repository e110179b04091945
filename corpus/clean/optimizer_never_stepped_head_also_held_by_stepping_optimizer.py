"""A classifier with an optimizer over all its parameters, stepped every batch, and a second one
over the head alone, built for a head-only warm restart that this configuration leaves off. The
head's loss reaches it, and the head changes through the first optimizer."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
HEAD_ONLY_RESTART = False

model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 4))
full_opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
head_opt = torch.optim.SGD(model[2].parameters(), lr=1e-2)

x, y = torch.randn(48, 12), torch.randint(0, 4, (48,))
for epoch in range(4):
    for i in range(0, 48, 12):
        full_opt.zero_grad()
        head_opt.zero_grad()
        loss = F.cross_entropy(model(x[i:i + 12]), y[i:i + 12])
        loss.backward()
        (head_opt if HEAD_ONLY_RESTART else full_opt).step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
