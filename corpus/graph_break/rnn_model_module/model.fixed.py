import torch.nn as nn


class SeqClassifier(nn.Module):
    """Embedding -> GRU -> linear classifier on the last hidden state."""

    def __init__(self, vocab_size=40, embed_dim=16, hidden=24, num_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.GRU(embed_dim, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, tokens):
        _, h_n = self.rnn(self.embed(tokens))
        last = h_n[-1]
        return self.fc(last)
