"""A tiny character-level translation model: token losses come from a criterion that keeps
them per token (with padding ignored), and the whole matrix of them is backpropagated."""
import torch
import torch.nn as nn
from torch import optim as O

torch.manual_seed(0)

PAD, VOCAB, EMB = 0, 20, 32


class Seq2Seq(nn.Module):
    def __init__(self):
        super().__init__()
        self.src_embed = nn.Embedding(VOCAB, EMB, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(VOCAB, EMB, padding_idx=PAD)
        self.encoder = nn.LSTM(EMB, EMB, batch_first=True)
        self.decoder = nn.LSTM(EMB, EMB, batch_first=True)
        self.project = nn.Linear(EMB, VOCAB)

    def forward(self, src, tgt_in):
        _, state = self.encoder(self.src_embed(src))
        out, _ = self.decoder(self.tgt_embed(tgt_in), state)
        return self.project(out)


def batch(size=8, length=7):
    src = torch.randint(1, VOCAB, (size, length))
    src[:, -2:] = PAD
    tgt = torch.roll(src, 1, dims=1)
    return src, tgt[:, :-1], tgt[:, 1:]


model = Seq2Seq()
token_loss = nn.CrossEntropyLoss(ignore_index=PAD)
optimizer = O.Adam(model.parameters(), lr=5e-3)

for step in range(100):
    src, tgt_in, tgt_out = batch()
    logits = model(src, tgt_in)
    losses = token_loss(logits.reshape(-1, VOCAB), tgt_out.reshape(-1))
    optimizer.zero_grad()
    losses.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
