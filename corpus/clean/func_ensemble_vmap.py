"""Train an ensemble of MLPs at once with torch.func.stack_module_state + vmap."""
import copy
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import stack_module_state, functional_call


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


torch.manual_seed(0)
models = [MLP() for _ in range(4)]
params, buffers = stack_module_state(models)
base = copy.deepcopy(models[0]).to("meta")


def fmodel(p, b, x):
    return functional_call(base, (p, b), (x,))


opt = torch.optim.Adam(params.values(), lr=1e-2)
x, y = torch.randn(64, 8), torch.randint(0, 2, (64,))
for step in range(6):
    logits = torch.vmap(fmodel, in_dims=(0, 0, None))(params, buffers, x)  # [E, B, 2]
    loss = F.cross_entropy(logits.reshape(-1, 2), y.repeat(4))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, loss.item())
