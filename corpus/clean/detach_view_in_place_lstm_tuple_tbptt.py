"""Melody model: an LSTM predicts the next note of long synthetic folk tunes, trained with
truncated backpropagation through time; the (h, c) state is carried across consecutive windows
and cut in place at each window border."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

random.seed(13)
torch.manual_seed(13)

N_PITCHES = 24
SCALE = [0, 2, 4, 5, 7, 9, 11, 12, 14, 16, 17, 19]
BATCH = 16
WINDOW = 32
EMBED = 32
HIDDEN = 96
LAYERS = 2
EPOCHS = 3


def compose_tune(n_notes):
    """Phrases that repeat with small variations, moving by steps along a major scale."""
    motif = [random.choice(range(len(SCALE))) for _ in range(8)]
    notes = []
    while len(notes) < n_notes:
        shift = random.choice([0, 0, 2, -2])
        for degree in motif:
            degree = max(0, min(len(SCALE) - 1, degree + shift + random.choice([0, 0, 0, 1, -1])))
            notes.append(SCALE[degree])
        if random.random() < 0.3:
            motif[random.randrange(len(motif))] = random.randrange(len(SCALE))
    return notes[:n_notes]


def batchify(n_notes):
    tunes = torch.tensor([compose_tune(n_notes) for _ in range(BATCH)])
    return tunes


class MelodyLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(N_PITCHES, EMBED)
        self.lstm = nn.LSTM(EMBED, HIDDEN, num_layers=LAYERS, batch_first=True, dropout=0.1)
        self.proj = nn.Linear(HIDDEN, N_PITCHES)

    def init_state(self, batch_size):
        shape = (LAYERS, batch_size, HIDDEN)
        return torch.zeros(shape), torch.zeros(shape)

    def forward(self, notes, state):
        out, state = self.lstm(self.embed(notes), state)
        return self.proj(out), state


def train(model, tunes, optimizer):
    model.train()
    state = model.init_state(tunes.shape[0])
    losses = []
    for start in range(0, tunes.shape[1] - WINDOW - 1, WINDOW):
        inputs = tunes[:, start:start + WINDOW]
        targets = tunes[:, start + 1:start + WINDOW + 1]
        for s in state:
            s.detach_()
        logits, state = model(inputs, state)
        loss = F.cross_entropy(logits.reshape(-1, N_PITCHES), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


@torch.no_grad()
def accuracy(model, tunes):
    model.eval()
    state = model.init_state(tunes.shape[0])
    hits = total = 0
    for start in range(0, tunes.shape[1] - WINDOW - 1, WINDOW):
        logits, state = model(tunes[:, start:start + WINDOW], state)
        hits += (logits.argmax(-1) == tunes[:, start + 1:start + WINDOW + 1]).sum().item()
        total += BATCH * WINDOW
    return hits / total


if __name__ == "__main__":
    train_tunes, valid_tunes = batchify(512), batchify(160)
    model = MelodyLSTM()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(EPOCHS):
        loss = train(model, train_tunes, optimizer)
        print(f"epoch {epoch}: train loss {loss:.3f}, next-note accuracy {accuracy(model, valid_tunes):.3f}")
