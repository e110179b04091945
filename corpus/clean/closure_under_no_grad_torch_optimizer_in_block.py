# torch.optim.LBFGS stepped inside `with torch.no_grad():` by a loop that keeps its bookkeeping out
# of the graph: torch's optimizers run the closure under torch.enable_grad() themselves, so the
# closure's forward builds its graph. Nothing to fix.
import torch
import torch.nn as nn

torch.manual_seed(0)

model = nn.Sequential(nn.Linear(1, 20), nn.Tanh(), nn.Linear(20, 1))
optimizer = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)
x = torch.linspace(-1, 1, 50).unsqueeze(1)
y = x ** 3 - x


def closure():
    optimizer.zero_grad()
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    return loss


best = float("inf")
for it in range(6):
    with torch.no_grad():
        loss = optimizer.step(closure)
        best = min(best, loss.item())
print("best loss", best)
