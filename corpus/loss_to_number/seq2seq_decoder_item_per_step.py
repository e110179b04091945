"""A toy sequence reverser, encoder-decoder GRUs with teacher forcing: the per-step losses are
added up as numbers, as the tutorial's print statement did, and the total is backpropagated."""
import random

import torch
import torch.nn as nn
from torch import optim

random.seed(0)
torch.manual_seed(0)

VOCAB, HIDDEN, LENGTH, SOS = 12, 32, 6, 0


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, HIDDEN)
        self.gru = nn.GRU(HIDDEN, HIDDEN, batch_first=True)

    def forward(self, src):
        _, hidden = self.gru(self.embed(src))
        return hidden


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, HIDDEN)
        self.gru = nn.GRU(HIDDEN, HIDDEN, batch_first=True)
        self.out = nn.Linear(HIDDEN, VOCAB)

    def forward(self, token, hidden):
        output, hidden = self.gru(self.embed(token).unsqueeze(1), hidden)
        return self.out(output.squeeze(1)), hidden


encoder, decoder = Encoder(), Decoder()
enc_opt = optim.SGD(encoder.parameters(), lr=0.1)
dec_opt = optim.SGD(decoder.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()


def batch(size=16):
    src = torch.randint(1, VOCAB, (size, LENGTH))
    return src, src.flip(1)


print_loss_total = 0.0
for iteration in range(1, 301):
    src, tgt = batch()
    enc_opt.zero_grad()
    dec_opt.zero_grad()
    hidden = encoder(src)
    token = torch.full((src.size(0),), SOS, dtype=torch.long)
    loss = 0
    for t in range(LENGTH):
        logits, hidden = decoder(token, hidden)
        loss += criterion(logits, tgt[:, t]).item()
        token = tgt[:, t] if random.random() < 0.5 else logits.argmax(dim=1)
    loss.backward()
    enc_opt.step()
    dec_opt.step()
    print_loss_total += loss / LENGTH
    if iteration % 100 == 0:
        print(f"iter {iteration}: avg loss {print_loss_total / 100:.4f}")
        print_loss_total = 0.0
