# NER tagger whose word representation is a lookup of copied-in vectors followed by a highway
# layer; build_words() freezes the word representation when asked to.
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM, TAGS = 90, 20, 5


class WordRepr(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, DIM)
        self.highway = nn.Linear(DIM, DIM)
        self.gate = nn.Linear(DIM, DIM)

    def forward(self, tokens):
        x = self.emb(tokens)
        g = torch.sigmoid(self.gate(x))
        return g * F.relu(self.highway(x)) + (1 - g) * x


def build_words(vectors, frozen):
    words = WordRepr()
    words.emb.weight.data.copy_(vectors)
    if frozen:
        for name, param in words.named_parameters():
            param.requires_grad_(False)
    return words


class Tagger(nn.Module):
    def __init__(self, words):
        super().__init__()
        self.words = words
        self.lstm = nn.LSTM(DIM, 24, batch_first=True, bidirectional=True)
        self.tag = nn.Linear(48, TAGS)

    def forward(self, tokens):
        return self.tag(self.lstm(self.words(tokens))[0])


torch.manual_seed(0)
tagger = Tagger(build_words(torch.randn(VOCAB, DIM), frozen=True))
params = [p for p in tagger.parameters() if p.requires_grad]
optimizer = torch.optim.Adam(params, lr=5e-3)
for step in range(25):
    tokens = torch.randint(0, VOCAB, (8, 14))
    tags = tokens % TAGS
    optimizer.zero_grad()
    loss = F.cross_entropy(tagger(tokens).reshape(-1, TAGS), tags.reshape(-1))
    loss.backward()
    optimizer.step()
