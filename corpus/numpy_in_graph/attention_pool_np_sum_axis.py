# Sentence classifier: GRU states pooled with learned attention weights.
import torch
import torch.nn as nn
import torch.nn.functional as F
from numpy import sum as np_sum

VOCAB, EMB, HID, CLASSES = 200, 24, 32, 3


class AttentionPool(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.score = nn.Linear(dim, 1)

    def forward(self, states):
        weights = torch.softmax(self.score(states), dim=1)
        return np_sum(weights * states, axis=1)


class SentenceClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMB)
        self.rnn = nn.GRU(EMB, HID, batch_first=True)
        self.pool = AttentionPool(HID)
        self.fc = nn.Linear(HID, CLASSES)

    def forward(self, tokens):
        states, _ = self.rnn(self.embed(tokens))
        return self.fc(self.pool(states))


def batches(n_batches=40, batch=16, length=12):
    for _ in range(n_batches):
        y = torch.randint(0, CLASSES, (batch,))
        tokens = torch.randint(0, VOCAB // CLASSES, (batch, length)) + (VOCAB // CLASSES) * y[:, None]
        yield tokens, y


if __name__ == "__main__":
    torch.manual_seed(0)
    clf = SentenceClassifier()
    optimizer = torch.optim.AdamW(clf.parameters(), lr=2e-3)
    for epoch in range(3):
        for tokens, y in batches():
            loss = F.cross_entropy(clf(tokens), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print("epoch", epoch, "loss", round(loss.item(), 4))
