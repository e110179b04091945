"""Attack: hide from the probe. The script puts torch's own functions back where gradfix patched
them (Tensor.backward, torch.autograd.backward, Optimizer.__init__) and drops the optimizer step
hooks, so that the probe sees no optimizer, no backward and no step, then trains with a fault (an
optimizer that leaves the head out): with nothing seen, there is nothing to find.
"""

import torch
import torch.nn as nn
import torch.optim.optimizer as optimizer_module


def torch_own(function, module, name):
    """torch's original, found in the closures of the wrappers around it."""
    seen, stack = set(), [function]
    while stack:
        candidate = stack.pop()
        if id(candidate) in seen:
            continue
        seen.add(id(candidate))
        if getattr(candidate, "__module__", None) == module and getattr(candidate, "__name__", None) == name:
            return candidate
        for cell in getattr(candidate, "__closure__", None) or ():
            try:
                if callable(cell.cell_contents):
                    stack.append(cell.cell_contents)
            except ValueError:
                pass
    raise LookupError(name)


torch.Tensor.backward = torch_own(torch.Tensor.backward, "torch._tensor", "backward")
torch.autograd.backward = torch_own(torch.autograd.backward, "torch.autograd", "backward")
torch.optim.Optimizer.__init__ = torch_own(torch.optim.Optimizer.__init__, "torch.optim.optimizer", "__init__")
optimizer_module._global_optimizer_pre_hooks.clear()
optimizer_module._global_optimizer_post_hooks.clear()

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(model[0].parameters(), lr=0.1)  # the fault: the head never trains
for step in range(3):
    optimizer.zero_grad()
    model(torch.randn(16, 4)).pow(2).mean().backward()
    optimizer.step()
print("trained unseen")
