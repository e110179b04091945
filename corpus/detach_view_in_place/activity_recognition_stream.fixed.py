"""Human activity recognition from a continuous 3-axis accelerometer stream. A small recurrent
cell, unrolled by hand, reads fixed-length segments one after another; the last step's state of
one segment seeds the next, so a long recording is classified with bounded memory."""
import math
import torch as T
import torch.nn as nn
from torch.nn import functional as F

ACTIVITIES = ("sitting", "walking", "running", "climbing")
SAMPLE_HZ = 25
SEGMENT = 50
STREAMS = 12
STREAM_SECONDS = 48
HIDDEN = 48
EPOCHS = 4

T.manual_seed(21)


def synth_recording(n_streams, seconds):
    """Activities change every few seconds; each has its own cadence, amplitude and posture."""
    n = seconds * SAMPLE_HZ
    t = T.arange(n) / SAMPLE_HZ
    cadence = T.tensor([0.0, 1.8, 2.8, 1.2])
    amplitude = T.tensor([0.05, 0.6, 1.4, 0.8])
    tilt = T.tensor([[0.0, 0.2, 0.98], [0.1, 0.0, 1.0], [0.2, 0.1, 0.95], [0.3, 0.4, 0.9]])
    signal = T.empty(n_streams, n, 3)
    labels = T.empty(n_streams, n, dtype=T.long)
    for s in range(n_streams):
        start = 0
        while start < n:
            act = int(T.randint(len(ACTIVITIES), ()))
            stop = min(n, start + int(T.randint(4, 10, ())) * SAMPLE_HZ)
            phase = 2 * math.pi * cadence[act] * t[start:stop]
            wave = amplitude[act] * T.stack([T.sin(phase), T.cos(phase) * 0.5, T.sin(2 * phase) * 0.3], -1)
            signal[s, start:stop] = tilt[act] + wave + 0.08 * T.randn(stop - start, 3)
            labels[s, start:stop] = act
            start = stop
    return signal, labels


class SegmentRNN(nn.Module):
    def __init__(self, n_in=3, hidden=HIDDEN, n_classes=len(ACTIVITIES)):
        super().__init__()
        self.hidden = hidden
        self.cell = nn.GRUCell(n_in, hidden)
        self.norm = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, n_classes)

    def forward(self, x, h=None):
        if h is None:
            h = x.new_zeros(x.shape[0], self.hidden)
        states = []
        for step in range(x.shape[1]):
            h = self.cell(x[:, step], h)
            states.append(h)
        states = T.stack(states, dim=1)
        return self.out(self.norm(states)), states


def segments(signal, labels):
    for start in range(0, signal.shape[1] - SEGMENT + 1, SEGMENT):
        yield signal[:, start:start + SEGMENT], labels[:, start:start + SEGMENT]


def fit(model, signal, labels, epochs=EPOCHS, lr=3e-3):
    opt = T.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        carry = None
        seen = correct = 0
        for x, y in segments(signal, labels):
            if carry is not None:
                carry = carry.detach()
            logits, states = model(x, carry)
            carry = states[:, -1]
            loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += (logits.argmax(-1) == y).sum().item()
            seen += y.numel()
        print(f"epoch {epoch + 1}/{epochs}  loss {loss.item():.3f}  train acc {correct / seen:.3f}")


@T.no_grad()
def evaluate(model, signal, labels):
    carry, hits, total = None, 0, 0
    for x, y in segments(signal, labels):
        logits, states = model(x, carry)
        carry = states[:, -1]
        hits += (logits.argmax(-1) == y).sum().item()
        total += y.numel()
    return hits / total


if __name__ == "__main__":
    signal, labels = synth_recording(STREAMS, STREAM_SECONDS)
    train_n = STREAMS * 3 // 4
    model = SegmentRNN()
    fit(model, signal[:train_n], labels[:train_n])
    print(f"held-out streams accuracy: {evaluate(model, signal[train_n:], labels[train_n:]):.3f}")
