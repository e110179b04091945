import torch
import torch.nn as nn
from torch.optim import RMSprop


class SentimentModel(nn.Module):
    def __init__(self, vectors, hidden=16):
        super().__init__()
        # fine-tune the pretrained vectors; only the rows of the words in a batch change
        self.embed = nn.Embedding.from_pretrained(vectors, freeze=False, sparse=True)
        self.rnn = nn.GRU(vectors.shape[1], hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, tokens):
        _, h = self.rnn(self.embed(tokens))
        return self.head(h[-1]).squeeze(1)


class Trainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.optimizer = RMSprop(model.parameters(), lr=lr)
        self.loss_fn = nn.BCEWithLogitsLoss()

    def step(self, tokens, labels):
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(tokens), labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, tokens, labels, epochs=3, batch_size=32):
        for epoch in range(epochs):
            for start in range(0, len(tokens), batch_size):
                loss = self.step(tokens[start:start + batch_size], labels[start:start + batch_size])
            print(f"epoch {epoch}: loss {loss:.4f}")


if __name__ == "__main__":
    torch.manual_seed(3)
    vectors = torch.randn(500, 20)
    tokens = torch.randint(0, 500, (256, 12))
    labels = (tokens < 250).float().mean(1).round()
    Trainer(SentimentModel(vectors)).fit(tokens, labels)
