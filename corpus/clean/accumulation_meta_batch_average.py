"""A first-order meta-learning loop: each outer step averages the gradients of a
meta-batch of tasks, cleared in place (set_to_none=False) before the meta-batch starts."""
import torch
import torch.nn as nn

torch.manual_seed(9)
model = nn.Sequential(nn.Linear(1, 40), nn.ReLU(), nn.Linear(40, 40), nn.ReLU(), nn.Linear(40, 1))
meta_optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
tasks_per_batch = 5


def sample_task():
    amplitude = torch.empty(1).uniform_(0.1, 5.0)
    phase = torch.empty(1).uniform_(0.0, 3.14)
    x = torch.empty(20, 1).uniform_(-5.0, 5.0)
    return x, amplitude * torch.sin(x + phase)


for outer in range(6):
    meta_optimizer.zero_grad(set_to_none=False)
    total = 0.0
    for task in range(tasks_per_batch):
        x, y = sample_task()
        loss = nn.functional.mse_loss(model(x), y) / tasks_per_batch
        loss.backward()
        total += loss.item()
    meta_optimizer.step()
    print(f"meta-step {outer}: mean task loss {total:.3f}")
