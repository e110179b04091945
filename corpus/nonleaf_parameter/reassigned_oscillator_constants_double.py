# Fit the stiffness and damping of a damped oscillator to a noisy trajectory. The constants are
# made trainable first and converted to float64 (to match the simulation) afterwards.
import torch

torch.manual_seed(0)

dt, steps = 0.05, 60
true_k, true_c = 4.0, 0.6


def simulate(k, c, x0, v0):
    xs = []
    x, v = x0, v0
    for _ in range(steps):
        a = -k * x - c * v
        v = v + dt * a
        x = x + dt * v
        xs.append(x)
    return torch.stack(xs)


x0 = torch.tensor(1.0, dtype=torch.float64)
v0 = torch.tensor(0.0, dtype=torch.float64)
observed = simulate(torch.tensor(true_k, dtype=torch.float64), torch.tensor(true_c, dtype=torch.float64), x0, v0)
observed = observed + 0.01 * torch.randn(steps, dtype=torch.float64)

k = torch.tensor(2.0, requires_grad=True)
c = torch.tensor(0.1, requires_grad=True)
k = k.double()
c = c.double()

optimizer = torch.optim.Adam([k, c], lr=0.05)
for it in range(40):
    optimizer.zero_grad()
    loss = ((simulate(k, c, x0, v0) - observed) ** 2).mean()
    loss.backward()
    optimizer.step()
    if it % 10 == 0:
        print(f"iter {it}: loss {loss.item():.5f} k={k.item():.3f} c={c.item():.3f}")
