"""Sentiment classifier with additive attention pooling over GRU states. The attention weights are
computed, but the sentence vector is a plain mean of the states: the scorer never trains."""
import torch
from torch import nn


class AttentionPoolClassifier(nn.Module):
    def __init__(self, vocab=500, emb=32, hidden=48, classes=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, emb, padding_idx=0)
        self.rnn = nn.GRU(emb, hidden, batch_first=True)
        self.score = nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.out = nn.Linear(hidden, classes)

    def forward(self, tokens):
        states, _ = self.rnn(self.embed(tokens))
        scores = self.score(states)
        weights = torch.softmax(scores, dim=1)
        sentence = (states * weights).mean(dim=1)
        return self.out(sentence)


torch.manual_seed(3)
tokens = torch.randint(1, 500, (64, 12))
labels = (tokens[:, :3].sum(1) % 2).long()
model = AttentionPoolClassifier()
opt = torch.optim.RMSprop(model.parameters(), lr=2e-3)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(3):
    for i in range(0, 64, 16):
        logits = model(tokens[i:i + 16])
        loss = loss_fn(logits, labels[i:i + 16])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, round(loss.item(), 4))
