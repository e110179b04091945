# A deep ensemble of five dropout MLP classifiers on a synthetic two-moons problem, trained all
# at once: the members' weights are stacked with torch.func and one vectorised call runs every
# member on the batch, each drawing its own dropout masks. The ensemble's averaged probabilities
# are scored on held-out points.
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, stack_module_state


def two_moons(n, generator):
    t = torch.rand(n, generator=generator) * math.pi
    upper = torch.rand(n, generator=generator) < 0.5
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    points = torch.stack([x, y], 1) + 0.15 * torch.randn(n, 2, generator=generator)
    return points, upper.long()


class Member(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, 64), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(64, 2),
        )

    def forward(self, x):
        return self.net(x)


torch.manual_seed(4)
gen = torch.Generator().manual_seed(4)
train_x, train_y = two_moons(800, gen)
test_x, test_y = two_moons(400, gen)

members = [Member() for _ in range(5)]
params, buffers = stack_module_state(members)
skeleton = copy.deepcopy(members[0]).to("meta")


def member_logits(p, b, x):
    return functional_call(skeleton, (p, b), (x,))


ensemble = torch.vmap(member_logits, in_dims=(0, 0, None), randomness="different")
optimizer = torch.optim.Adam(params.values(), lr=5e-3)

for epoch in range(9):
    skeleton.train()
    order = torch.randperm(len(train_x))
    for i in range(0, len(order), 100):
        idx = order[i:i + 100]
        logits = ensemble(params, buffers, train_x[idx])  # [members, batch, 2]
        loss = F.cross_entropy(logits.flatten(0, 1), train_y[idx].repeat(len(members)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    skeleton.eval()
    with torch.no_grad():
        probs = ensemble(params, buffers, test_x).softmax(-1).mean(0)
        accuracy = (probs.argmax(-1) == test_y).float().mean().item()
    if epoch % 3 == 2:
        print(f"epoch {epoch}: loss {loss.item():.3f} ensemble accuracy {accuracy:.3f}")
