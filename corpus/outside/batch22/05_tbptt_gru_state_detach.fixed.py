# Report: https://github.com/d2l-ai/d2l-en/issues/1409
# Training the concise (nn.RNN/nn.GRU) recurrent model with the epoch loop that carries the state
# across minibatches stops at the second batch: "RuntimeError: Can't detach views in-place".
"""Stateful GRU forecaster for a multivariate sensor stream, trained with truncated
backpropagation through time: consecutive windows continue the hidden state of the last one."""
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

N_SERIES, N_FEATURES, SERIES_LEN = 8, 3, 1200
NUM_STEPS, HIDDEN, LAYERS = 24, 48, 2
EPOCHS, LR, CLIP = 6, 3e-3, 1.0


def make_stream():
    """Three coupled channels: daily + weekly seasonality, a load-driven channel and noise."""
    t = torch.arange(SERIES_LEN, dtype=torch.float32)
    phase = torch.rand(N_SERIES, 1) * 2 * math.pi
    amp = 0.5 + torch.rand(N_SERIES, 1)
    temp = amp * torch.sin(2 * math.pi * t / 24 + phase) + 0.3 * torch.sin(2 * math.pi * t / 168)
    load = 0.6 * torch.roll(temp, 3, dims=1) + 0.2 * torch.randn(N_SERIES, SERIES_LEN)
    humid = -0.4 * temp + 0.1 * torch.randn(N_SERIES, SERIES_LEN)
    x = torch.stack([temp, load, humid], dim=-1)
    return (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True)


def seq_data_iter_sequential(stream, num_steps):
    """Yield consecutive (X, Y) windows so the state of one window is valid for the next."""
    n_windows = (stream.shape[1] - 1) // num_steps
    for i in range(n_windows):
        s = i * num_steps
        yield stream[:, s:s + num_steps], stream[:, s + 1:s + num_steps + 1]


class RNNForecaster(nn.Module):
    def __init__(self, rnn_layer, n_features):
        super().__init__()
        self.rnn = rnn_layer
        self.num_hiddens = rnn_layer.hidden_size
        self.head = nn.Sequential(nn.Linear(self.num_hiddens, 32), nn.GELU(), nn.Linear(32, n_features))

    def forward(self, inputs, state):
        Y, state = self.rnn(inputs, state)
        return self.head(Y), state

    def begin_state(self, batch_size, device):
        shape = (self.rnn.num_layers, batch_size, self.num_hiddens)
        if isinstance(self.rnn, nn.LSTM):
            return (torch.zeros(shape, device=device), torch.zeros(shape, device=device))
        return torch.zeros(shape, device=device)


def grad_clipping(net, theta):
    params = [p for p in net.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def train_epoch(net, stream, loss_fn, updater, device):
    state, total, count = None, 0.0, 0
    for X, Y in seq_data_iter_sequential(stream, NUM_STEPS):
        if state is None:
            state = net.begin_state(batch_size=X.shape[0], device=device)
        elif isinstance(state, tuple):
            for s in state:
                s.detach_()
        else:
            state.detach_()
        X, Y = X.to(device), Y.to(device)
        y_hat, state = net(X, state)
        loss = loss_fn(y_hat, Y)
        updater.zero_grad()
        loss.backward()
        grad_clipping(net, CLIP)
        updater.step()
        total += loss.item() * Y.numel()
        count += Y.numel()
    return total / count


@torch.no_grad()
def evaluate(net, stream, device):
    state, se, n = net.begin_state(stream.shape[0], device), 0.0, 0
    for X, Y in seq_data_iter_sequential(stream, NUM_STEPS):
        y_hat, state = net(X.to(device), state)
        se += F.mse_loss(y_hat, Y.to(device), reduction="sum").item()
        n += Y.numel()
    return se / n


stream = make_stream()
split = int(0.8 * SERIES_LEN)
train_stream, valid_stream = stream[:, :split], stream[:, split:]

gru_layer = nn.GRU(N_FEATURES, HIDDEN, num_layers=LAYERS, batch_first=True, dropout=0.1)
model = RNNForecaster(gru_layer, N_FEATURES).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=LR)
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.85)

start = time.time()
for epoch in range(EPOCHS):
    model.train()
    train_mse = train_epoch(model, train_stream, F.mse_loss, optimizer, device)
    scheduler.step()
    model.eval()
    print(f"epoch {epoch + 1} train mse {train_mse:.4f} valid mse {evaluate(model, valid_stream, device):.4f} "
          f"({time.time() - start:.1f}s)")
