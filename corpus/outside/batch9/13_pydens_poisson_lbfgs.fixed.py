"""PyDEns-style neural PDE solver (torch backend), reduced.

Solve the 2D Poisson problem  u_xx + u_yy = 5  on the unit square with zero
Dirichlet boundary, the boundary condition being built into the ansatz.
The network is assembled from a layout string like PyDEns' ConvBlock
('f' = dense layer, 'a' = activation).
"""
import torch
import torch.nn as nn

device = "cuda" if torch.cuda.is_available() else "cpu"


class ConvBlockModel(nn.Module):
    def __init__(self, ndims, layout="fa fa f", units=(10, 20, 1), activation="Sigmoid"):
        super().__init__()
        layers, in_features, units = [], ndims, list(units)
        for letter in layout.replace(" ", ""):
            if letter == "f":
                out_features = units.pop(0)
                layers.append(nn.Linear(in_features, out_features))
                in_features = out_features
            elif letter == "a":
                layers.append(getattr(nn, activation)())
        self.block = nn.Sequential(*layers)

    def forward(self, xs):
        return self.block(xs)


def D(u, x):
    """Derivative of `u` w.r.t. `x` keeping the graph for higher-order terms."""
    return torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]


class Solver:
    def __init__(self, equation, ndims, constraints=None, domain=None, layout="fa fa f",
                 units=(10, 20, 1), activation="Sigmoid"):
        self.equation = equation
        self.ndims = ndims
        self.domain = domain or [[0, 1]] * ndims
        self.constraints = constraints
        self.model = ConvBlockModel(ndims, layout, units, activation).to(device)
        self.optimizer = None
        self.losses = []

    def solve(self, xs):
        out = self.model(xs).squeeze(-1)
        if self.constraints is not None:
            out = self.constraints(xs, out)
        return out

    def sample(self, batch_size):
        low = torch.tensor([d[0] for d in self.domain], dtype=torch.float32)
        high = torch.tensor([d[1] for d in self.domain], dtype=torch.float32)
        return (low + (high - low) * torch.rand(batch_size, self.ndims)).to(device)

    def compute_loss(self, xs, criterion):
        xs.requires_grad_(True)
        u = self.solve(xs)
        residual = self.equation(u, xs)
        return criterion(residual, torch.zeros_like(residual))

    def fit(self, niters, batch_size, sampler=None, optimizer="Adam", criterion=nn.MSELoss(), lr=0.001, **kwargs):
        # Initialize the optimizer if supplied.
        if optimizer is not None:
            if isinstance(optimizer, str):
                optimizer = getattr(torch.optim, optimizer)(self.model.parameters(), lr=lr, **kwargs)
            self.optimizer = optimizer

        self.model.train()
        for it in range(niters):
            xs = self.sample(batch_size) if sampler is None else sampler(batch_size)

            def closure():
                self.optimizer.zero_grad()
                loss = self.compute_loss(xs, criterion)
                loss.backward()
                return loss

            # Optimizer step.
            loss = self.optimizer.step(closure)

            # Gather and store training stats.
            self.losses.append(loss.detach().cpu().numpy())
            if it % 5 == 0:
                print(f"iter {it}: loss {self.losses[-1]:.5f}")


def pde(u, xs):
    du = D(u, xs)
    u_xx = D(du[:, 0], xs)[:, 0]
    u_yy = D(du[:, 1], xs)[:, 1]
    return u_xx + u_yy - 5.0


def constraints(xs, out):
    x, y = xs[:, 0], xs[:, 1]
    return x * (1 - x) * y * (1 - y) * out


torch.manual_seed(0)
solver = Solver(equation=pde, ndims=2, constraints=constraints, domain=[[0, 1], [0, 1]],
                layout="fa fa f", units=(10, 20, 1), activation="Sigmoid")
# a few Adam iterations to get close, then refine with L-BFGS
solver.fit(batch_size=64, niters=10, lr=0.01, optimizer="Adam")
solver.fit(batch_size=64, niters=10, lr=0.1, optimizer="LBFGS", max_iter=5)
