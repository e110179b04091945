"""Character-level language model on synthetic ship-log lines ("0612 NW 14kn vis 3nm ...").

A GRU reads the characters; the embedding and the output projection get their gradients clamped
element-wise inside a module backward hook, as the original Torch7 recipe did for char-RNNs.
"""
import random
import string

import torch
import torch.nn as nn
import torch.nn.functional as F

CLAMP = 0.5
random.seed(6)
torch.manual_seed(6)

DIRS = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
CHARS = sorted(set(string.digits + string.ascii_uppercase + "knvism ." + "\n"))
IDX = {c: i for i, c in enumerate(CHARS)}


def log_line():
    return (f"{random.randint(0, 23):02d}{random.choice(['00', '15', '30', '45'])} "
            f"{random.choice(DIRS)} {random.randint(2, 35)}kn vis {random.randint(1, 9)}nm "
            f"{random.choice(['SEAS CALM', 'SWELL MOD', 'RAIN', 'FOG', 'CLEAR'])}\n")


def corpus(n_lines):
    text = "".join(log_line() for _ in range(n_lines))
    return torch.tensor([IDX[c] for c in text])


def clamp_grads(module, grad_input, grad_output):
    with torch.no_grad():
        for p in module.parameters():
            p.grad.clamp_(-CLAMP, CLAMP)


class CharGRU(nn.Module):
    def __init__(self, vocab, dim=48, hidden=96):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, hidden, batch_first=True)
        self.proj = nn.Linear(hidden, vocab)
        self.embed.register_full_backward_hook(clamp_grads)
        self.proj.register_full_backward_hook(clamp_grads)

    def forward(self, x):
        h, _ = self.rnn(self.embed(x))
        return self.proj(h)


def batches(data, seq_len=48, batch_size=32, n_batches=40):
    for _ in range(n_batches):
        starts = torch.randint(0, len(data) - seq_len - 1, (batch_size,))
        x = torch.stack([data[s:s + seq_len] for s in starts])
        y = torch.stack([data[s + 1:s + seq_len + 1] for s in starts])
        yield x, y


data = corpus(1500)
model = CharGRU(len(CHARS))
optimizer = torch.optim.Adam(model.parameters(), lr=4e-3)
for epoch in range(3):
    total = 0.0
    for x, y in batches(data):
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(CHARS)), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: mean loss {total / 40:.3f} nats/char")

with torch.no_grad():
    seq = [IDX["0"]]
    for _ in range(40):
        nxt = model(torch.tensor([seq]))[0, -1].softmax(-1)
        seq.append(int(torch.multinomial(nxt, 1)))
print("sample:", "".join(CHARS[i] for i in seq).strip())
