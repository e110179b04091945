# Correct: the whole loaded model is frozen, then the norm layers and the classifier are unfrozen,
# and the optimizer is built from what requires grad.
import torch
import torch.nn as nn

net = nn.Sequential(nn.Linear(10, 32), nn.LayerNorm(32), nn.ReLU(), nn.Linear(32, 32), nn.LayerNorm(32), nn.ReLU(), nn.Linear(32, 3))
net.load_state_dict(nn.Sequential(nn.Linear(10, 32), nn.LayerNorm(32), nn.ReLU(), nn.Linear(32, 32), nn.LayerNorm(32), nn.ReLU(), nn.Linear(32, 3)).state_dict())
net.requires_grad_(False)
for layer in net:
    if isinstance(layer, nn.LayerNorm):
        layer.requires_grad_(True)
net[-1].requires_grad_(True)
optimizer = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-3)
x, y = torch.randn(64, 10), torch.randint(0, 3, (64,))
for step in range(30):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    optimizer.step()
