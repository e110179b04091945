"""A model that owns its optimizer, Lightning style: configure_optimizers() builds it from the
model's own parameters."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TextCNN(nn.Module):
    def __init__(self, vocab=200, dim=16, n_classes=3, lr=5e-3):
        super().__init__()
        self.lr = lr
        self.embed = nn.Embedding(vocab, dim)
        self.conv = nn.Conv1d(dim, 24, kernel_size=3, padding=1)
        self.head = nn.Linear(24, n_classes)

    def forward(self, tokens):
        h = self.embed(tokens).transpose(1, 2)
        h = F.relu(self.conv(h)).max(dim=2).values
        return self.head(h)

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=self.lr, weight_decay=1e-4)

    def training_step(self, batch):
        tokens, labels = batch
        return F.cross_entropy(self(tokens), labels)


def fit(model, batches, epochs=3):
    optimizer = model.configure_optimizers()
    for epoch in range(epochs):
        for batch in batches:
            optimizer.zero_grad()
            loss = model.training_step(batch)
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    tokens = torch.randint(0, 200, (48, 12))
    labels = torch.randint(0, 3, (48,))
    batches = [(tokens[i : i + 16], labels[i : i + 16]) for i in range(0, 48, 16)]
    fit(TextCNN(), batches)
