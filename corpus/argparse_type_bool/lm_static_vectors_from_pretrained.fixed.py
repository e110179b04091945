# Word-level LSTM language model over pretrained word vectors; `--static_vectors 0` asks to
# fine-tune them, but type=bool makes "0" True and from_pretrained keeps them frozen.
import argparse

import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--emsize", type=int, default=24)
parser.add_argument("--nhid", type=int, default=48)
parser.add_argument("--static_vectors", type=lambda s: s.lower() in ("true", "1", "yes", "y", "on"), default=True, help="keep the word vectors fixed")
parser.add_argument("--bptt", type=int, default=10)
args = parser.parse_args(["--static_vectors", "0", "--bptt", "10"])

VOCAB = 60
torch.manual_seed(1)
vectors = torch.randn(VOCAB, args.emsize) * 0.1  # GloVe rows in the real run

embedding = nn.Embedding.from_pretrained(vectors, freeze=args.static_vectors)
rnn = nn.LSTM(args.emsize, args.nhid, batch_first=True)
decoder = nn.Linear(args.nhid, VOCAB)
params = [p for m in (embedding, rnn, decoder) for p in m.parameters() if p.requires_grad]
optimizer = torch.optim.Adam(params, lr=1e-3)
criterion = nn.CrossEntropyLoss()

corpus = torch.randint(0, VOCAB, (400,))
for i in range(0, 200, args.bptt):
    data = corpus[i:i + args.bptt].unsqueeze(0)
    target = corpus[i + 1:i + 1 + args.bptt].unsqueeze(0)
    output, _ = rnn(embedding(data))
    loss = criterion(decoder(output).view(-1, VOCAB), target.view(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
