import torch as th
import torch.nn as nn

th.manual_seed(3)

members = nn.ModuleList(nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1)) for _ in range(3))
optimizer = th.optim.Adam(members.parameters(), lr=1e-2)
criterion = nn.MSELoss()

x = th.randn(128, 8)
y = th.sin(x[:, :1]) + 0.1 * x[:, 1:2]

for step in range(15):
    losses = [criterion(member(x), y) for member in members]
    # one number per ensemble member, averaged
    loss = th.tensor(losses, requires_grad=True).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(f"step {step}: " + " ".join(f"{l.item():.3f}" for l in losses))
