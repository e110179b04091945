import argparse

import torch
import torch.nn as nn
import torch.optim as optim


class TextClassifier(nn.Module):
    def __init__(self, vocab, dim, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        _, h = self.rnn(self.embedding(tokens))
        return self.out(h[-1])


parser = argparse.ArgumentParser()
parser.add_argument("--vocab", type=int, default=100)
parser.add_argument("--dim", type=int, default=16)
parser.add_argument("--steps", type=int, default=5)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--freeze-embeddings", type=int, default=1)
args = parser.parse_args()

torch.manual_seed(0)
# pretrained word vectors, e.g. from a word2vec model trained earlier
word_vectors = nn.Embedding(args.vocab, args.dim)

model = TextClassifier(args.vocab, args.dim, classes=2)
model.embedding.load_state_dict(word_vectors.state_dict())
if args.freeze_embeddings:
    model.embedding.weight.requires_grad = False

optimizer = optim.Adam(model.parameters(), lr=args.lr)
criterion = nn.CrossEntropyLoss()
tokens = torch.randint(0, args.vocab, (64, 10))
labels = torch.randint(0, 2, (64,))

for step in range(args.steps):
    optimizer.zero_grad()
    loss = criterion(model(tokens), labels)
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
