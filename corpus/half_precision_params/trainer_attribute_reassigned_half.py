# A hand-written trainer object builds its own model (which makes its own optimizer) and, in fit(),
# reassigns it as its float16 copy (self.model = self.model.half()) before a mixed-precision loop
# with a GradScaler.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Tagger(nn.Module):
    def __init__(self, vocab=200, dim=32, tags=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.proj = nn.Linear(dim, tags)

    def forward(self, tokens):
        return self.proj(self.embed(tokens))

    def configure_optimizers(self, lr):
        return torch.optim.SGD(self.parameters(), lr=lr, momentum=0.9)


class Trainer:
    def __init__(self, lr):
        self.model = Tagger()
        self.lr = lr
        self.scaler = torch.amp.GradScaler("cpu")

    def fit(self, batches, epochs):
        self.model = self.model.half()
        optimizer = self.model.configure_optimizers(self.lr)
        for _ in range(epochs):
            for tokens, tags in batches:
                optimizer.zero_grad()
                with torch.autocast("cpu", dtype=torch.float16):
                    logits = self.model(tokens)
                loss = F.cross_entropy(logits.float().flatten(0, 1), tags.flatten())
                self.scaler.scale(loss).backward()
                self.scaler.step(optimizer)
                self.scaler.update()
        return loss.item()


batches = [(torch.randint(0, 200, (8, 12)), torch.randint(0, 5, (8, 12))) for _ in range(4)]
trainer = Trainer(lr=0.05)
print(trainer.fit(batches, epochs=3))
