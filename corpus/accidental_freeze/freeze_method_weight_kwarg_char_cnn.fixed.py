# Word + character embedding for a sentence classifier: the word lookup is given pretrained
# vectors through _weight, the character CNN starts from scratch; freeze() is called on the whole
# embedding module and the optimizer is handed every parameter.
import torch
import torch.nn as nn
import torch.nn.functional as F


class WordCharEmbedding(nn.Module):
    def __init__(self, vectors, n_chars=40, char_dim=8):
        super().__init__()
        self.lookup = nn.Embedding(vectors.shape[0], vectors.shape[1], _weight=vectors)
        self.chars = nn.Embedding(n_chars, char_dim)
        self.char_cnn = nn.Conv1d(char_dim, 12, 3, padding=1)

    def freeze(self):
        self.lookup.weight.requires_grad = False

    def forward(self, words, chars):
        c = self.char_cnn(self.chars(chars).flatten(0, 1).transpose(1, 2)).amax(-1)
        return torch.cat([self.lookup(words), c.view(words.shape[0], words.shape[1], -1)], -1)


class SentenceClassifier(nn.Module):
    def __init__(self, embedding):
        super().__init__()
        self.embedding = embedding
        self.out = nn.Linear(24 + 12, 2)

    def forward(self, words, chars):
        return self.out(self.embedding(words, chars).mean(1))


torch.manual_seed(0)
embedding = WordCharEmbedding(torch.randn(100, 24) * 0.3)
embedding.freeze()
model = SentenceClassifier(embedding)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
for step in range(20):
    words = torch.randint(0, 100, (16, 9))
    chars = torch.randint(0, 40, (16, 9, 6))
    label = (chars[:, :, 0] > 20).float().mean(1).gt(0.5).long()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(words, chars), label)
    loss.backward()
    optimizer.step()
