# Look-alike (correct). Modelled on pytorch/examples word_language_model:
# https://github.com/pytorch/examples/blob/main/word_language_model/main.py
# The hidden state is detached between batches (truncated BPTT) and the update is a manual
# p.data.add_(p.grad, alpha=-lr) -- both look like graph cuts but every weight trains.
import torch
import torch.nn as nn

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"
args = {"emsize": 32, "nhid": 32, "nlayers": 2, "lr": 5.0, "clip": 0.25, "bptt": 8, "batch_size": 8,
        "dropout": 0.2, "tied": True, "epochs": 2}


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)).view(-1, self.decoder.out_features), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    return data[:nbatch * bsz].view(bsz, -1).t().contiguous().to(device)


def get_batch(source, i):
    seq_len = min(args["bptt"], len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].reshape(-1)


ntokens = 40
corpus = torch.tensor([(3 * t + t // 7) % ntokens for t in range(2000)])
train_data = batchify(corpus, args["batch_size"])
model = RNNModel(ntokens, args["emsize"], args["nhid"], args["nlayers"], args["dropout"], args["tied"]).to(device)
criterion = nn.NLLLoss()

for epoch in range(args["epochs"]):
    model.train()
    hidden = model.init_hidden(args["batch_size"])
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args["bptt"])):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(torch.log_softmax(output, dim=-1), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args["clip"])
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-args["lr"])
    print(f"epoch {epoch} loss {loss.item():.4f}")
