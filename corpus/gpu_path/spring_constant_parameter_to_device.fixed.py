# Learn the stiffness and damping of a mass-spring system from a trajectory (a tiny physics model).
import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class DampedSpring(nn.Module):
    def __init__(self):
        super().__init__()
        self.k = nn.Parameter(torch.tensor(0.5).to(device))
        self.c = nn.Parameter(torch.tensor(0.1).to(device))

    def forward(self, x0, v0, steps, dt=0.05):
        xs, x, v = [], x0, v0
        for _ in range(steps):
            a = -self.k * x - self.c * v
            v = v + dt * a
            x = x + dt * v
            xs.append(x)
        return torch.stack(xs)


# The measured trajectory: an underdamped oscillator with k = 2.0 and c = 0.3, plus sensor noise.
torch.manual_seed(0)
t = 0.05 * torch.arange(1, 81, dtype=torch.float32)
omega = (2.0 - 0.15 ** 2) ** 0.5
observed = (torch.exp(-0.15 * t) * (torch.cos(omega * t) + 0.15 / omega * torch.sin(omega * t))).to(device)
observed = observed + 0.01 * torch.randn_like(observed)

model = DampedSpring().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
for it in range(200):
    optimizer.zero_grad()
    pred = model(torch.tensor(1.0, device=device), torch.tensor(0.0, device=device), 80)
    loss = (pred - observed).pow(2).mean()
    loss.backward()
    optimizer.step()
print(f"k={model.k.item():.3f} c={model.c.item():.3f} loss={loss.item():.5f}")
