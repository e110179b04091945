"""Word-level language model on a synthetic grammar, trained with truncated BPTT. The training
loop was first written for an LSTM and later switched to a GRU, which trains faster here."""
import math
import random

import torch
import torch.nn as nn

random.seed(1)
torch.manual_seed(1)

SUBJECTS = ["the cat", "a dog", "my sister", "the old man", "our teacher"]
VERBS = ["sees", "likes", "finds", "follows", "calls"]
OBJECTS = ["the ball", "a bird", "the river", "her friend", "the red door"]
BPTT, BATCH, EMB, NHID, NLAYERS, EPOCHS = 20, 16, 48, 96, 2, 3


def make_corpus(n_sentences=1500):
    words = []
    for _ in range(n_sentences):
        words += f"{random.choice(SUBJECTS)} {random.choice(VERBS)} {random.choice(OBJECTS)} .".split()
    vocab = sorted(set(words))
    index = {w: i for i, w in enumerate(vocab)}
    ids = torch.tensor([index[w] for w in words])
    n = ids.numel() // BATCH
    return ids[:n * BATCH].view(BATCH, n), len(vocab)


class WordRNN(nn.Module):
    def __init__(self, ntoken):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, EMB)
        self.rnn = nn.GRU(EMB, NHID, NLAYERS, batch_first=True)
        self.decoder = nn.Linear(NHID, ntoken)

    def init_hidden(self, bsz):
        return torch.zeros(NLAYERS, bsz, NHID)

    def forward(self, tokens, hidden):
        output, hidden = self.rnn(self.encoder(tokens), hidden)
        return self.decoder(output), hidden


def train_epoch(model, data, ntoken, optimizer, criterion):
    model.train()
    hidden = model.init_hidden(BATCH)
    total, count = 0.0, 0
    for i in range(0, data.size(1) - 1, BPTT):
        seq_len = min(BPTT, data.size(1) - 1 - i)
        inputs, targets = data[:, i:i + seq_len], data[:, i + 1:i + 1 + seq_len]
        hidden = hidden.detach() if isinstance(hidden, torch.Tensor) else tuple(s.detach() for s in hidden)
        output, hidden = model(inputs, hidden)
        loss = criterion(output.reshape(-1, ntoken), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
        total += loss.item()
        count += 1
    return total / count


def main():
    data, ntoken = make_corpus()
    model = WordRNN(ntoken)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        loss = train_epoch(model, data, ntoken, optimizer, criterion)
        print(f"epoch {epoch + 1}: loss {loss:.3f} ppl {math.exp(loss):.2f}")


if __name__ == "__main__":
    main()
