"""A character-level LSTM trained in a function that counts a global step from the epoch and the
batch, and steps every `accumulate` batches. The test is written `!= 0`, so with the default of one
batch per step (every count a multiple of 1) the optimizer never steps."""
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


def train(model, batches, epochs, accumulate=1):
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(epochs):
        for i, tokens in enumerate(batches):
            global_step = epoch * len(batches) + i
            logits = model(tokens[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, VOCAB), tokens[:, 1:].reshape(-1)) / accumulate
            loss.backward()
            if global_step % accumulate == 0:
                optimizer.step()
                optimizer.zero_grad()
        print(f"epoch {epoch}: loss {loss.item():.3f}")


batches = [torch.randint(0, VOCAB, (8, 12)) for _ in range(4)]
train(CharModel(), batches, epochs=3)
