"""A bag-of-words intent classifier trained in pure bfloat16 by a small trainer class (no float32
master copy of the weights)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def make_model(vocab=200, dim=32, intents=5):
    return nn.Sequential(nn.EmbeddingBag(vocab, dim), nn.LayerNorm(dim), nn.ReLU(), nn.Linear(dim, intents))


class Trainer:
    def __init__(self, model, lr=1e-4):
        self.model = model.to(device="cpu", dtype=torch.float32)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)

    def step(self, tokens, labels):
        loss = F.cross_entropy(self.model(tokens).float(), labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
tokens, labels = torch.randint(0, 200, (128, 12)), torch.randint(0, 5, (128,))
trainer = Trainer(make_model())
for epoch in range(3):
    for x, y in zip(tokens.split(32), labels.split(32)):
        loss = trainer.step(x, y)
    print(f"epoch {epoch}: {loss:.3f}")
