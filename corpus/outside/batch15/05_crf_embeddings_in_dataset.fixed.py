# Report: https://github.com/epwalsh/pytorch-crf/issues/27
# "Allow word embeddings to update": the word embeddings live in the Dataset, which turns
# each sentence into a tensor of embedding vectors when an item is loaded. The model only
# sees detached vectors, so the embedding table (even though it is an nn.Embedding with
# requires_grad=True and handed to the optimizer) never changes.
# Fix from the issue: move the embeddings into the model and let the Dataset return ids.
import torch
import torch.nn as nn
from torch.utils.data import Dataset, DataLoader

torch.manual_seed(0)

VOCAB = ["<pad>", "the", "cat", "sat", "on", "mat", "john", "lives", "in", "paris", "london"]
TAGS = ["O", "B-PER", "B-LOC"]


class Vocab:
    def __init__(self, words, dim=16):
        self.word_stoi = {w: i for i, w in enumerate(words)}
        self.word_itos = list(words)
        self.embedding = nn.Embedding(len(words), dim, padding_idx=0)


class SequenceDataset(Dataset):
    def __init__(self, sentences, vocab):
        self.sentences = sentences
        self.vocab = vocab

    def __len__(self):
        return len(self.sentences)

    def __getitem__(self, i):
        words, tags = self.sentences[i]
        ids = torch.tensor([self.vocab.word_stoi[w] for w in words])
        return ids, torch.tensor([TAGS.index(t) for t in tags])


class LSTMTagger(nn.Module):
    def __init__(self, emb_dim, hidden, n_tags):
        super().__init__()
        self.rnn = nn.LSTM(emb_dim, hidden, batch_first=True, bidirectional=True)
        self.rnn_output = nn.Linear(2 * hidden, n_tags)

    def forward(self, ids):
        vectors = vocab.embedding(ids)
        out, _ = self.rnn(vectors)
        return self.rnn_output(out)


def make_sentences(n=24):
    g = torch.Generator().manual_seed(0)
    sents = []
    for _ in range(n):
        name = "john"
        city = ["paris", "london"][int(torch.randint(0, 2, (1,), generator=g))]
        sents.append(([name, "lives", "in", city], ["B-PER", "O", "O", "B-LOC"]))
    return sents


vocab = Vocab(VOCAB)
dataset = SequenceDataset(make_sentences(), vocab)
loader = DataLoader(dataset, batch_size=4, shuffle=True)
model = LSTMTagger(16, 12, len(TAGS))
params = list(model.parameters()) + list(vocab.embedding.parameters())
optimizer = torch.optim.SGD(params, lr=0.1)
criterion = nn.CrossEntropyLoss()

for epoch in range(3):
    for vectors, tags in loader:
        optimizer.zero_grad()
        scores = model(vectors)
        loss = criterion(scores.reshape(-1, len(TAGS)), tags.reshape(-1))
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
