# Token embeddings looked up in a collate function (an object holding the embedding table), with
# two worker processes: the padded batches of vectors reach the tagger as data, so the embedding
# table the optimizer holds never gets a gradient.
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader

torch.manual_seed(0)
VOCAB, DIM, TAGS = 30, 12, 3


class EmbedCollate:
    def __init__(self, embedding):
        self.embedding = embedding

    def __call__(self, batch):
        tokens = pad_sequence([t for t, _ in batch], batch_first=True)
        tags = pad_sequence([y for _, y in batch], batch_first=True)
        with torch.no_grad():
            vectors = self.embedding(tokens)
        return vectors, tags


sentences = [torch.randint(1, VOCAB, (int(n),)) for n in torch.randint(3, 8, (48,))]
samples = [(s, s % TAGS) for s in sentences]
embedding = nn.Embedding(VOCAB, DIM, padding_idx=0)
tagger = nn.GRU(DIM, 16, batch_first=True)
head = nn.Linear(16, TAGS)
loader = DataLoader(samples, batch_size=8, collate_fn=EmbedCollate(embedding), num_workers=2)
optimizer = torch.optim.SGD([*embedding.parameters(), *tagger.parameters(), *head.parameters()], lr=0.1)

for epoch in range(3):
    for vectors, tags in loader:
        optimizer.zero_grad()
        hidden, _ = tagger(vectors)
        loss = nn.functional.cross_entropy(head(hidden).reshape(-1, TAGS), tags.reshape(-1))
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
