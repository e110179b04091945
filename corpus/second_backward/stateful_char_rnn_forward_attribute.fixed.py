"""A character-level model that keeps its LSTM state on itself between calls (a "stateful" RNN,
as Keras users write it): consecutive chunks of one long text are fed batch after batch."""
import torch
from torch import nn
from torch.nn import functional as F

TEXT = "the quick brown fox jumps over the lazy dog; " * 40
CHARS = sorted(set(TEXT))


class StatefulCharRNN(nn.Module):
    def __init__(self, n_chars, embed=12, hidden=48):
        super().__init__()
        self.embed = nn.Embedding(n_chars, embed)
        self.rnn = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_chars)
        self.state = None

    def forward(self, chars):
        out, self.state = self.rnn(self.embed(chars), self.state)
        self.state = tuple(t.detach() for t in self.state)
        return self.head(out)


def chunks(ids, batch, length):
    rows = ids[: ids.numel() // batch * batch].view(batch, -1)
    for start in range(0, rows.size(1) - length - 1, length):
        yield rows[:, start : start + length], rows[:, start + 1 : start + length + 1]


torch.manual_seed(1)
ids = torch.tensor([CHARS.index(c) for c in TEXT])
net = StatefulCharRNN(len(CHARS))
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
for epoch in range(2):
    net.state = None
    for inputs, targets in chunks(ids, batch=4, length=16):
        logits = net(inputs)
        loss = F.cross_entropy(logits.reshape(-1, len(CHARS)), targets.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
