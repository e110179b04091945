import torch
import torch.nn as nn
import torch.optim as optim

# copied from predict.py: the backbone only extracts features, so no autograd
torch.manual_seed(12)

backbone = nn.Sequential(nn.Linear(24, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh())
pretrained = {name: torch.randn_like(value) * 0.3 for name, value in backbone.state_dict().items()}
backbone.load_state_dict(pretrained)
backbone.requires_grad_(False)
backbone.eval()

head = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
optimizer = optim.Adam(head.parameters(), lr=1e-2)
loss_fn = nn.MSELoss()

x = torch.randn(128, 24)
y = (x[:, :4].sum(dim=1, keepdim=True) > 0).float()
for epoch in range(4):
    for i in range(0, 128, 32):
        prediction = head(backbone(x[i:i + 32]))
        loss = loss_fn(prediction, y[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: mse {loss.item():.4f}")
