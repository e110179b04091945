"""A character-level LSTM that steps every `accumulate` batches of a global step computed from the
epoch and the batch index (not a counter it increments): `global_step % accumulate == 0` holds
every second batch, so the optimizer steps."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, HIDDEN = 20, 32


class CharModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, HIDDEN)
        self.lstm = nn.LSTM(HIDDEN, HIDDEN, batch_first=True)
        self.out = nn.Linear(HIDDEN, VOCAB)

    def forward(self, tokens):
        hidden, _ = self.lstm(self.embed(tokens))
        return self.out(hidden)


def train(model, batches, epochs, accumulate=2):
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(epochs):
        for i, tokens in enumerate(batches):
            global_step = epoch * len(batches) + i + 1
            logits = model(tokens[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, VOCAB), tokens[:, 1:].reshape(-1)) / accumulate
            loss.backward()
            if global_step % accumulate == 0:
                optimizer.step()
                optimizer.zero_grad()
        print(f"epoch {epoch}: loss {loss.item():.3f}")


batches = [torch.randint(0, VOCAB, (8, 12)) for _ in range(4)]
train(CharModel(), batches, epochs=3)
