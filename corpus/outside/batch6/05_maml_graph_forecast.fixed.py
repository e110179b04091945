import copy
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

N_NODES, HIST = 10, 6


def random_city(n=N_NODES):
    """A road graph (normalized adjacency with self loops) and a diffusion dynamic on it."""
    a = (torch.rand(n, n) < 0.3).float()
    a = ((a + a.t()) > 0).float() + torch.eye(n)
    d = a.sum(1).rsqrt()
    adj = d[:, None] * a * d[None, :]
    decay = 0.6 + 0.3 * torch.rand(1)
    return adj, decay


def sample_windows(adj, decay, n_windows):
    x = torch.rand(n_windows, N_NODES)
    series = [x]
    for _ in range(HIST):
        x = decay * (x @ adj) + 0.1 * torch.sin(x * 3) + 0.02 * torch.randn_like(x)
        series.append(x)
    series = torch.stack(series, dim=-1)            # (B, N, HIST + 1)
    return series[..., :HIST], series[..., HIST]    # inputs, next-step target


class GCNForecaster(nn.Module):
    def __init__(self, hist=HIST, hidden=32):
        super().__init__()
        self.lin1 = nn.Linear(hist, hidden)
        self.lin2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x, adj):
        h = F.relu(adj @ self.lin1(x))
        h = F.relu(adj @ self.lin2(h))
        return self.out(h).squeeze(-1)


cities = [random_city() for _ in range(6)]
model = GCNForecaster().to(device)
meta_optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
inner_lr, inner_steps, tasks_per_batch = 0.05, 3, 4

for meta_step in range(20):
    meta_optimizer.zero_grad()
    meta_loss = 0.0
    for t in torch.randint(0, len(cities), (tasks_per_batch,)).tolist():
        adj, decay = cities[t]
        adj = adj.to(device)
        xs, ys = sample_windows(adj, decay, 16)
        xq, yq = sample_windows(adj, decay, 16)

        learner = copy.deepcopy(model)
        inner_opt = torch.optim.SGD(learner.parameters(), lr=inner_lr)
        for _ in range(inner_steps):
            support_loss = F.mse_loss(learner(xs, adj), ys)
            inner_opt.zero_grad()
            support_loss.backward()
            inner_opt.step()

        query_loss = F.mse_loss(learner(xq, adj), yq)
        grads = torch.autograd.grad(query_loss / tasks_per_batch, list(learner.parameters()))
        for p, g in zip(model.parameters(), grads):
            p.grad = g if p.grad is None else p.grad + g
        meta_loss += query_loss.item() / tasks_per_batch
    meta_optimizer.step()
    if meta_step % 5 == 4:
        print(f"meta step {meta_step + 1} query loss {meta_loss:.4f}")

# meta-test on an unseen city
adj, decay = random_city()
xq, yq = sample_windows(adj, decay, 64)
with torch.no_grad():
    print("zero-shot loss on new city:", F.mse_loss(model(xq, adj), yq).item())
