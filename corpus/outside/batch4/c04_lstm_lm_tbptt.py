"""Word-level LSTM language model with truncated BPTT and tied input/output embeddings.

The hidden state is carried across BPTT segments but detached ("repackaged") before
every segment, as in the classic word_language_model example.
"""
import math

import torch
import torch.nn as nn

VOCAB, EMB, BPTT, BATCH = 30, 32, 10, 4


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data[: nbatch * bsz].view(bsz, -1).t().contiguous()   # (T, B)


def get_batch(source, i):
    seq_len = min(BPTT, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nlayers=2, dropout=0.1):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, ninp, nlayers, dropout=dropout)
        self.decoder = nn.Linear(ninp, ntoken)
        self.decoder.weight = self.encoder.weight          # weight tying
        self.nlayers, self.nhid = nlayers, ninp

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)).view(-1, self.decoder.out_features), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid))


def main():
    torch.manual_seed(0)
    # a toy "corpus": a noisy repeating grammar over 30 tokens
    pattern = torch.tensor([1, 5, 9, 2, 7, 3, 11, 4, 20, 6])
    corpus = pattern.repeat(60)
    noise = torch.rand(corpus.size(0)) < 0.1
    corpus[noise] = torch.randint(0, VOCAB, (int(noise.sum()),))
    train_data = batchify(corpus, BATCH)

    model = RNNModel(VOCAB, EMB)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    model.train()
    hidden = model.init_hidden(BATCH)
    total = 0.0
    for batch, i in enumerate(range(0, train_data.size(0) - 1, BPTT)):
        data, targets = get_batch(train_data, i)
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
        total += loss.item()
        if (batch + 1) % 5 == 0:
            print(f"batch {batch + 1:2d} loss {total / 5:.3f} ppl {math.exp(total / 5):.1f}")
            total = 0.0


if __name__ == "__main__":
    main()
