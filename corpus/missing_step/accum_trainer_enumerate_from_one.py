# A small trainer for a text classifier with gradient accumulation: batches are counted from 1,
# and the accumulation (12 batches) is longer than an epoch of this dataset (10 batches).
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class BagOfWords(nn.Module):
    def __init__(self, vocab=500, dim=32, classes=4):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim)
        self.fc = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.fc(self.embed(tokens))


class Trainer:
    def __init__(self, model, train_loader, accum_steps=12, lr=0.05, epochs=3):
        self.model = model
        self.train_loader = train_loader
        self.accum_steps = accum_steps
        self.epochs = epochs
        self.optimizer = torch.optim.Adagrad(model.parameters(), lr=lr)
        self.loss_fn = nn.CrossEntropyLoss()

    def fit(self):
        for epoch in range(self.epochs):
            self.model.train()
            running = 0.0
            for step, (tokens, labels) in enumerate(self.train_loader, start=1):
                loss = self.loss_fn(self.model(tokens), labels) / self.accum_steps
                loss.backward()
                running += loss.item()
                if step % self.accum_steps == 0:
                    self.optimizer.step()
                    self.optimizer.zero_grad()
            print(f"epoch {epoch}: loss {running:.4f}")


torch.manual_seed(0)
tokens = torch.randint(0, 500, (160, 12))
labels = tokens[:, 0] % 4
loader = DataLoader(TensorDataset(tokens, labels), batch_size=16, shuffle=True)
Trainer(BagOfWords(), loader).fit()
