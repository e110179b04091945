import torch
import torch.nn as nn
from torch.optim import AdamW
from torch.utils.data import DataLoader, TensorDataset


class TextEncoder(nn.Module):
    def __init__(self, vocab=50, dim=16, num_labels=2):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim)
        self.proj = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, num_labels)

    def forward(self, tokens):
        return self.head(torch.tanh(self.proj(self.embed(tokens))))


class Trainer:
    def __init__(self, num_labels, lr=5e-3):
        self.model = TextEncoder()
        self.optimizer = AdamW(self.model.parameters(), lr=lr)
        self.criterion = nn.CrossEntropyLoss()
        self.model.head = nn.Linear(self.model.head.in_features, num_labels)

    def run_epoch(self, loader):
        total = 0.0
        for tokens, labels in loader:
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(tokens), labels)
            loss.backward()
            self.optimizer.step()
            total += loss.item()
        return total / len(loader)


if __name__ == "__main__":
    torch.manual_seed(0)
    tokens = torch.randint(0, 50, (64, 10))
    labels = torch.randint(0, 4, (64,))
    loader = DataLoader(TensorDataset(tokens, labels), batch_size=16, shuffle=True)
    trainer = Trainer(num_labels=4)
    for epoch in range(3):
        print(f"epoch {epoch}: loss {trainer.run_epoch(loader):.4f}")
