"""A GRU sentiment model with AMP; a batch whose loss is not finite is dropped before backward(),
so the scaler never sees it (correct code)."""
import torch
import torch.nn as nn

torch.manual_seed(11)


class SentimentGRU(nn.Module):
    def __init__(self, vocab=200, dim=24):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.head = nn.Linear(dim, 2)

    def forward(self, ids, weights):
        out, _ = self.rnn(self.embed(ids) * weights.unsqueeze(-1))
        return self.head(out[:, -1])


model = SentimentGRU()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
scaler = torch.amp.GradScaler("cpu")
ids = torch.randint(0, 200, (120, 12))
weights = torch.ones(120, 12)
weights[30, 5] = float("nan")  # a broken token weight in the third batch
labels = torch.randint(0, 2, (120,))

for epoch in range(2):
    for i in range(0, 120, 12):
        logits = model(ids[i:i + 12], weights[i:i + 12])
        loss = nn.functional.cross_entropy(logits, labels[i:i + 12])
        if not torch.isfinite(loss):
            print(f"epoch {epoch}: non-finite loss at {i}, batch dropped")
            optimizer.zero_grad()
            continue
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
