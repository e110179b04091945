import torch
import torch.nn as nn


class TextClassifier(nn.Module):
    def __init__(self, vocab=100, dim=16, classes=3):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.head(self.embed(tokens))


class Trainer:
    """Owns the model, its optimizer and the loop."""

    def __init__(self, model, lr=5e-3, weight_decay=0.01):
        self.model = model
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(),
            lr=lr,
            weight_decay=weight_decay,
        )
        self.criterion = nn.CrossEntropyLoss()

    def step(self, tokens, labels):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.criterion(self.model(tokens), labels)
        loss.backward()
        self.optimizer.step()
        return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    trainer = Trainer(TextClassifier())
    tokens = torch.randint(0, 100, (64, 12))
    labels = torch.randint(0, 3, (64,))
    for it in range(6):
        print(it, trainer.step(tokens, labels))
