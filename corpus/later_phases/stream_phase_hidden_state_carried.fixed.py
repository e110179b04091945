# Character-level LSTM: first trained on short independent snippets, then on one long text stream
# with truncated backpropagation through time (the hidden state is carried between chunks).
import torch
import torch.nn as nn

text = "the quick brown fox jumps over the lazy dog; " * 40
chars = sorted(set(text))
ids = torch.tensor([chars.index(c) for c in text])
V = len(chars)


class CharLSTM(nn.Module):
    def __init__(self, vocab, hidden=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.lstm = nn.LSTM(16, hidden, batch_first=True)
        self.proj = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.lstm(self.embed(x), state)
        return self.proj(out), state


torch.manual_seed(0)
model = CharLSTM(V)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
loss_fn = nn.CrossEntropyLoss()

# Phase 1: random snippets, a fresh state for every batch.
for step in range(200):
    starts = torch.randint(0, len(ids) - 33, (16,))
    batch = torch.stack([ids[s:s + 33] for s in starts.tolist()])
    optimizer.zero_grad()
    logits, _ = model(batch[:, :-1])
    loss = loss_fn(logits.reshape(-1, V), batch[:, 1:].reshape(-1))
    loss.backward()
    optimizer.step()

# Phase 2: the whole stream in chunks of 32, the state carried from chunk to chunk.
state = None
for epoch in range(3):
    for start in range(0, len(ids) - 33, 32):
        chunk = ids[start:start + 33].unsqueeze(0)
        optimizer.zero_grad()
        logits, state = model(chunk[:, :-1], state)
        state = tuple(t.detach() for t in state)
        loss = loss_fn(logits.reshape(-1, V), chunk[:, 1:].reshape(-1))
        loss.backward()
        optimizer.step()
    print(f"stream epoch {epoch}: loss {loss.item():.3f}")
