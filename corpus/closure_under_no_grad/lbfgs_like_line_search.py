# A hand-written optimizer with a backtracking line search evaluates the closure several times per
# step. Its step() runs under @torch.no_grad() for the in-place updates, and calls the closure
# there: the first evaluation's forward builds no graph and backward() crashes.
import torch
import torch.nn as nn

torch.manual_seed(0)


class LineSearchDescent(torch.optim.Optimizer):
    def __init__(self, params, lr=1.0, shrink=0.5, tries=4):
        super().__init__(params, dict(lr=lr, shrink=shrink, tries=tries))

    @torch.no_grad()
    def step(self, evaluate):
        group = self.param_groups[0]
        params = [p for p in group["params"] if p.requires_grad]
        first = evaluate()
        directions = [-p.grad.clone() for p in params]
        start = [p.clone() for p in params]
        lr = group["lr"]
        for _ in range(group["tries"]):
            for p, origin, direction in zip(params, start, directions):
                p.copy_(origin + lr * direction)
            trial = evaluate()
            if trial.item() < first.item():
                return trial
            lr *= group["shrink"]
        for p, origin in zip(params, start):
            p.copy_(origin)
        return first


x = torch.linspace(-2, 2, 64).unsqueeze(1)
y = torch.sin(2 * x)
model = nn.Sequential(nn.Linear(1, 24), nn.Tanh(), nn.Linear(24, 1))
optimizer = LineSearchDescent(model.parameters(), lr=0.5)


def closure():
    optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    return loss


for it in range(20):
    loss = optimizer.step(closure)
    if it % 5 == 0:
        print(f"iteration {it} loss {loss.item():.4f}")
