"""Document classifier with additive attention pooling. The pooling module returns the pooled
vector and its attention weights; the classifier drops the weights with `_` in training and a
helper keeps them only to plot them. The scorer trains through the pooled vector."""
import torch
import torch.nn as nn


class AttentionPool(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(dim, dim), nn.Tanh(), nn.Linear(dim, 1, bias=False))

    def forward(self, states, mask):
        scores = self.score(states).squeeze(-1).masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights.unsqueeze(1), states).squeeze(1), weights


class DocClassifier(nn.Module):
    def __init__(self, vocab=200, dim=24, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.rnn = nn.LSTM(dim, dim, batch_first=True, bidirectional=True)
        self.pool = AttentionPool(2 * dim)
        self.out = nn.Linear(2 * dim, classes)

    def forward(self, tokens):
        states, _ = self.rnn(self.embed(tokens))
        pooled, _ = self.pool(states, tokens != 0)
        return self.out(pooled)

    def attention_map(self, tokens):
        states, _ = self.rnn(self.embed(tokens))
        _, weights = self.pool(states, tokens != 0)
        return weights.detach()


torch.manual_seed(0)
model = DocClassifier()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
tokens = torch.randint(1, 200, (16, 10))
tokens[:, 8:] = 0
labels = torch.randint(0, 3, (16,))
for step in range(8):
    loss = nn.functional.cross_entropy(model(tokens), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
heat = model.attention_map(tokens[:2])
print("loss", round(loss.item(), 4), "attention of doc 0:", [round(w, 2) for w in heat[0].tolist()])
