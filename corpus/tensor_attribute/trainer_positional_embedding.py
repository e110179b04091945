import torch
import torch.nn as nn
from torch import optim


class TinySequenceModel(nn.Module):
    def __init__(self, vocab=30, seq_len=12, dim=16, classes=4):
        super().__init__()
        self.tok_embed = nn.Embedding(vocab, dim)
        self.pos_embed = torch.zeros(1, seq_len, dim, requires_grad=True)
        self.mixer = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.tok_embed(tokens) + self.pos_embed
        h = torch.relu(self.mixer(h))
        return self.head(h.mean(dim=1))


class Trainer:
    def __init__(self, model, lr=1e-2):
        self.model = model
        self.optimizer = optim.Adam(self.model.parameters(), lr=lr)
        self.loss_fn = nn.CrossEntropyLoss()

    def fit(self, tokens, labels, epochs=5):
        for epoch in range(epochs):
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(tokens), labels)
            loss.backward()
            self.optimizer.step()
            print(f"epoch {epoch}: {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    tokens = torch.randint(0, 30, (48, 12))
    labels = torch.randint(0, 4, (48,))
    Trainer(TinySequenceModel()).fit(tokens, labels)
