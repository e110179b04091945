# CPU-only: a learned positional table inside a module and a learned input canvas, both trainable leaves.
import torch
import torch.nn as nn
import torch.nn.functional as F


class SeqEncoder(nn.Module):
    def __init__(self, length=12, dim=16):
        super().__init__()
        self.embed = nn.Linear(3, dim)
        self.pos = nn.Parameter(torch.randn(1, length, dim) * 0.02)
        self.log_temp = nn.Parameter(torch.zeros(1))
        self.out = nn.Linear(dim, 1)

    def forward(self, x):
        h = torch.tanh(self.embed(x) + self.pos)
        return self.out(h).squeeze(-1).div(self.log_temp.exp()).logsumexp(dim=1)


torch.manual_seed(0)
model = SeqEncoder()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(128, 12, 3)
y = x[:, :, 0].max(dim=1).values
for step in range(60):
    optimizer.zero_grad()
    loss = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()

# Find the input sequence the trained model scores highest (the model itself stays fixed).
model.requires_grad_(False)
canvas = torch.zeros(1, 12, 3, requires_grad=True)
canvas_opt = torch.optim.Adam([canvas], lr=0.1)
for step in range(30):
    canvas_opt.zero_grad()
    (-model(canvas).sum() + 0.01 * canvas.pow(2).sum()).backward()
    canvas_opt.step()
print(f"loss {loss.item():.4f}, best score {model(canvas).item():.3f}")
