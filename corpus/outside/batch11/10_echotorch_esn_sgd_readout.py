"""Time-series prediction (NARMA-10) with an Echo State Network trained by SGD
(EchoTorch examples/timeserie_prediction/narma10_esn_sgd.py layout).  The reservoir (w_in, w,
w_bias) is fixed by design; only the readout is learned."""
import torch
import torch.nn as nn

device = "cuda" if torch.cuda.is_available() else "cpu"


class ESNCell(nn.Module):
    def __init__(self, input_dim, output_dim, spectral_radius=0.9, input_scaling=1.0):
        super().__init__()
        w = torch.randn(output_dim, output_dim)
        w = w * spectral_radius / torch.linalg.eigvals(w).abs().max()
        self.register_buffer("w_in", input_scaling * (torch.rand(output_dim, input_dim) * 2 - 1))
        self.register_buffer("w", w)
        self.register_buffer("w_bias", torch.rand(output_dim) * 2 - 1)

    def forward(self, u):
        x = torch.zeros(u.size(0), self.w.size(0), device=u.device)
        states = []
        for t in range(u.size(1)):
            x = torch.tanh(u[:, t] @ self.w_in.t() + x @ self.w.t() + self.w_bias)
            states.append(x)
        return torch.stack(states, 1)


class RRCell(nn.Module):
    """Ridge-regression readout: w_out is solved in finalize()."""

    def __init__(self, input_dim, output_dim, ridge_param=0.0):
        super().__init__()
        self.ridge_param = ridge_param
        self.register_buffer("xTx", torch.zeros(input_dim + 1, input_dim + 1))
        self.register_buffer("xTy", torch.zeros(input_dim + 1, output_dim))
        self.register_buffer("w_out", torch.zeros(input_dim + 1, output_dim))

    def forward(self, x, y=None):
        x = torch.cat([torch.ones_like(x[..., :1]), x], -1)
        return x @ self.w_out


class ESN(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, spectral_radius=0.9, learning_algo="inv",
                 ridge_param=0.0, washout=10):
        super().__init__()
        self.learning_algo = learning_algo
        self.washout = washout
        self.esn_cell = ESNCell(input_dim, hidden_dim, spectral_radius)
        self.output = RRCell(hidden_dim, output_dim, ridge_param)

    def forward(self, u, y=None):
        hidden_states = self.esn_cell(u)[:, self.washout:]
        return self.output(hidden_states, y)


def narma10(n_samples, length):
    u = torch.rand(n_samples, length, 1) * 0.5
    y = torch.zeros(n_samples, length, 1)
    for t in range(10, length - 1):
        y[:, t + 1] = 0.3 * y[:, t] + 0.05 * y[:, t] * y[:, t - 9:t + 1].sum(1) + 1.5 * u[:, t - 9] * u[:, t] + 0.1
    return u, y


torch.manual_seed(0)
input_dim, n_hidden, output_dim = 1, 50, 1
learning_rate, momentum, weight_decay = 0.01, 0.9, 0.0
u, y = narma10(8, 60)

esn = ESN(input_dim=input_dim, hidden_dim=n_hidden, output_dim=output_dim, spectral_radius=0.9,
          learning_algo="grad").to(device)
optimizer = torch.optim.SGD(esn.parameters(), lr=learning_rate, momentum=momentum, weight_decay=weight_decay)
criterion = nn.MSELoss()

for epoch in range(10):
    optimizer.zero_grad()
    out = esn(u.to(device))
    loss = criterion(out, y[:, esn.washout:].to(device))
    loss.backward()
    optimizer.step()
    print(f"epoch {epoch} mse {loss.item():.5f}")
