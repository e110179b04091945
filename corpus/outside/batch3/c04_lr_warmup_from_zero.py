# Small transformer classifier trained with a linear learning-rate warm-up from 0.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

WARMUP = 50


class TinyTransformer(nn.Module):
    def __init__(self, vocab=100, d_model=32, n_classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.encoder = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=64, batch_first=True)
        self.cls = nn.Linear(d_model, n_classes)

    def forward(self, tokens):
        return self.cls(self.encoder(self.embed(tokens)).mean(dim=1))


class Trainer:
    def __init__(self, model, base_lr=1e-3):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=base_lr)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lr_lambda=lambda step: min(1.0, step / WARMUP))
        self.criterion = nn.CrossEntropyLoss()

    def train(self, loader, epochs):
        for epoch in range(epochs):
            self.model.train()
            total = 0.0
            for xb, yb in loader:
                self.optimizer.zero_grad()
                loss = self.criterion(self.model(xb), yb)
                loss.backward()
                self.optimizer.step()
                self.scheduler.step()
                total += loss.item()
            lr = self.optimizer.param_groups[0]["lr"]
            print(f"epoch {epoch}: loss {total / len(loader):.4f}  lr {lr:.2e}")


if __name__ == "__main__":
    torch.manual_seed(24)
    tokens = torch.randint(0, 100, (800, 12))
    labels = (tokens[:, :3].sum(dim=1) % 3)
    Trainer(TinyTransformer()).train(DataLoader(TensorDataset(tokens, labels), batch_size=32, shuffle=True), epochs=4)
