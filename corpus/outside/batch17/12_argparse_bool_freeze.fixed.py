# Report: https://github.com/LeeDoYup/FixMatch-pytorch/issues/13
# The run is configured with `--freeze_embedding False` to fine-tune the word vectors, but the
# option is declared with type=bool and bool("False") is True: the embedding table is frozen
# and never changes, while the GRU and the classifier train.
import argparse

import numpy as np
import torch
import torch.nn as nn

parser = argparse.ArgumentParser(description="GRU sentiment classifier")
parser.add_argument("--vocab_size", type=int, default=2000)
parser.add_argument("--embed_dim", type=int, default=50)
parser.add_argument("--hidden_dim", type=int, default=64)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch_size", type=int, default=32)
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--freeze_embedding", type=lambda s: s.lower() in ("true", "1", "yes"), default=True,
                    help="keep the pretrained word vectors fixed")
parser.add_argument("--seed", type=int, default=42)
# notebook run: same arguments as the command line used on the cluster
args = parser.parse_args(["--freeze_embedding", "False", "--epochs", "3"])

torch.manual_seed(args.seed)
np.random.seed(args.seed)
device = "cuda" if torch.cuda.is_available() else "cpu"


class SentimentGRU(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden_dim, pretrained=None):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        if pretrained is not None:
            self.embedding.weight.data.copy_(pretrained)
        self.gru = nn.GRU(embed_dim, hidden_dim, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_dim, 2)

    def forward(self, tokens, lengths):
        emb = self.embedding(tokens)
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        h = torch.cat([h[-2], h[-1]], dim=1)
        return self.fc(h)


def fake_corpus(n, vocab_size, max_len=40):
    lengths = np.random.randint(5, max_len, size=n)
    tokens = np.zeros((n, max_len), dtype=np.int64)
    labels = np.random.randint(0, 2, size=n)
    for i, L in enumerate(lengths):
        lo, hi = (1, vocab_size // 2) if labels[i] == 0 else (vocab_size // 2, vocab_size)
        tokens[i, :L] = np.random.randint(lo, hi, size=L)
    return torch.from_numpy(tokens), torch.from_numpy(lengths), torch.from_numpy(labels)


pretrained_vectors = torch.randn(args.vocab_size, args.embed_dim) * 0.3   # e.g. GloVe rows
model = SentimentGRU(args.vocab_size, args.embed_dim, args.hidden_dim, pretrained_vectors).to(device)
if args.freeze_embedding:
    model.embedding.weight.requires_grad = False

optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=args.lr)
criterion = nn.CrossEntropyLoss()
tokens, lengths, labels = fake_corpus(256, args.vocab_size)

for epoch in range(args.epochs):
    model.train()
    perm = torch.randperm(len(labels))
    correct = 0
    for i in range(0, len(labels), args.batch_size):
        idx = perm[i:i + args.batch_size]
        x, l, y = tokens[idx].to(device), lengths[idx], labels[idx].to(device)
        logits = model(x, l)
        loss = criterion(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        correct += (logits.argmax(1) == y).sum().item()
    print(f"epoch {epoch}: loss {loss.item():.4f} acc {correct / len(labels):.3f}")
