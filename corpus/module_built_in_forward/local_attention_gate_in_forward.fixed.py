"""Sentiment model: a GRU, then attention pooling whose scoring layer is a local of forward()."""
import torch
from torch import nn


class AttentivePooling(nn.Module):
    def __init__(self, vocab=500, embed=24, hidden=32):
        super().__init__()
        self.hidden = hidden
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.GRU(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 2)
        self.score = nn.Linear(self.hidden, 1)

    def forward(self, tokens):
        states, _ = self.rnn(self.embed(tokens))
        score = self.score
        weights = torch.softmax(score(states).squeeze(-1), dim=1)
        pooled = (weights.unsqueeze(-1) * states).sum(1)
        return self.out(pooled)


def main():
    torch.manual_seed(1)
    tokens = torch.randint(0, 500, (96, 15))
    labels = (tokens[:, :5] < 250).sum(1).gt(2).long()
    model = AttentivePooling()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(3):
        for i in range(0, 96, 32):
            optimizer.zero_grad()
            loss = loss_fn(model(tokens[i:i + 32]), labels[i:i + 32])
            loss.backward()
            optimizer.step()
        print("epoch", epoch, loss.item())


if __name__ == "__main__":
    main()
