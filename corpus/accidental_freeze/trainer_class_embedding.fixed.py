import torch
import torch.nn as nn
from torch.optim import Adam


class BagClassifier(nn.Module):
    def __init__(self, vocab, dim, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.proj = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.embedding(tokens).mean(dim=1)
        return self.out(torch.relu(self.proj(h)))


class Trainer:
    def __init__(self, model, lr=1e-2):
        self.model = model
        # embeddings are large, don't update them
        self.optimizer = Adam(self.model.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()

    def train_step(self, tokens, labels):
        self.optimizer.zero_grad()
        loss = self.criterion(self.model(tokens), labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
tokens = torch.randint(0, 50, (64, 12))
labels = torch.randint(0, 3, (64,))

trainer = Trainer(BagClassifier(vocab=50, dim=16, classes=3))
for it in range(8):
    loss = trainer.train_step(tokens, labels)
    print(f"iter {it}: {loss:.4f}")
