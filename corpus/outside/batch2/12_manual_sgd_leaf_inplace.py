# Report: https://github.com/pytorch/examples/pull/779
# What goes wrong: the hand-written SGD update `p.add_(p.grad, alpha=-lr)` runs with grad mode on,
# i.e. an in-place op on a leaf that requires grad -> RuntimeError, the model is never updated.
import torch
import torch.nn as nn

NTOKENS, BPTT, BATCH = 50, 8, 16


class RNNModel(nn.Module):
    def __init__(self, ntoken=NTOKENS, ninp=32, nhid=64, nlayers=1, dropout=0.1):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=0.0)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, inp, hidden):
        emb = self.drop(self.encoder(inp))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)), hidden

    def init_hidden(self, bsz):
        w = next(self.parameters())
        return (w.new_zeros(self.nlayers, bsz, self.nhid), w.new_zeros(self.nlayers, bsz, self.nhid))


def repackage_hidden(h):
    return tuple(v.detach() for v in h)


def batchify(n_tokens=4000):
    # toy corpus: noisy arithmetic progressions so the next token is predictable
    seq = (torch.arange(n_tokens) * 3 + torch.randint(0, 2, (n_tokens,))) % NTOKENS
    nbatch = seq.size(0) // BATCH
    return seq[: nbatch * BATCH].view(BATCH, -1).t().contiguous()


def train(model, data, lr=5.0, clip=0.25, epochs=2):
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        hidden = model.init_hidden(BATCH)
        total = 0.0
        for i in range(0, data.size(0) - 1, BPTT):
            seq_len = min(BPTT, data.size(0) - 1 - i)
            inp, target = data[i:i + seq_len], data[i + 1:i + 1 + seq_len].reshape(-1)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(inp, hidden)
            loss = criterion(output.view(-1, NTOKENS), target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.add_(p.grad, alpha=-lr)
            total += loss.item()
        print(f"epoch {epoch}  avg loss {total / (data.size(0) // BPTT):.3f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    train(RNNModel(), batchify())
