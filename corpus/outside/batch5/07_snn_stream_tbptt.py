# Spiking neural network (LIF neurons, SuperSpike surrogate gradient) trained with
# truncated BPTT on a long event stream; the neuron state is carried between chunks.
from collections import namedtuple

import torch as th
import torch.nn as nn

th.manual_seed(0)

LIFState = namedtuple("LIFState", ["z", "v", "i"])
DT, TAU_SYN_INV, TAU_MEM_INV, V_TH = 1e-3, 200.0, 100.0, 1.0
N_IN, N_HIDDEN, N_OUT = 20, 64, 2
BATCH, CHUNK, N_CHUNKS = 16, 25, 8


class SuperSpike(th.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha=100.0):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out / (ctx.alpha * x.abs() + 1.0) ** 2, None


class LIFCell(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.input_weights = nn.Parameter(th.randn(n_hidden, n_in) * (2.0 / n_in) ** 0.5)
        self.recurrent_weights = nn.Parameter(th.randn(n_hidden, n_hidden) * (1.0 / n_hidden) ** 0.5)

    def forward(self, x, state=None):
        if state is None:
            zeros = th.zeros(x.shape[0], self.input_weights.shape[0])
            state = LIFState(zeros, zeros, zeros)
        z, v, i = state
        dv = DT * TAU_MEM_INV * ((0.0 - v) + i)
        v_decayed = v + dv
        i_decayed = i - DT * TAU_SYN_INV * i
        z_new = SuperSpike.apply(v_decayed - V_TH)
        v_new = (1 - z_new) * v_decayed
        i_new = i_decayed + x @ self.input_weights.t() + z @ self.recurrent_weights.t()
        return z_new, LIFState(z_new, v_new, i_new)


class LICell(nn.Module):
    """Leaky integrator readout (no spikes)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.fc = nn.Linear(n_in, n_out, bias=False)

    def forward(self, z, v=None):
        if v is None:
            v = th.zeros(z.shape[0], self.fc.out_features)
        v = v + DT * TAU_MEM_INV * (-v + 10.0 * self.fc(z))
        return v, v


class SNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.lif = LIFCell(N_IN, N_HIDDEN)
        self.readout = LICell(N_HIDDEN, N_OUT)

    def forward(self, xs, state=None):
        s_lif, s_out = state if state is not None else (None, None)
        voltages = []
        for x in xs.unbind(0):
            z, s_lif = self.lif(x, s_lif)
            y, s_out = self.readout(z, s_out)
            voltages.append(y)
        return th.stack(voltages), (s_lif, s_out)


def make_stream():
    labels = th.randint(0, 2, (BATCH,))
    rates = th.where(labels[:, None] == 1, th.linspace(0.02, 0.3, N_IN), th.linspace(0.3, 0.02, N_IN))
    spikes = (th.rand(CHUNK * N_CHUNKS, BATCH, N_IN) < rates).float() * 5.0
    return spikes, labels


model = SNN()
optimizer = th.optim.Adam(model.parameters(), lr=2e-3)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(2):
    stream, labels = make_stream()
    state = None
    for c, chunk in enumerate(stream.split(CHUNK, dim=0)):
        voltages, state = model(chunk, state)
        logits, _ = voltages.max(dim=0)
        loss = loss_fn(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if c % 4 == 0:
            acc = (logits.argmax(1) == labels).float().mean().item()
            print(f"epoch {epoch} chunk {c} loss {loss.item():.4f} acc {acc:.2f}")
