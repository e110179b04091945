# Sentiment bag-of-embeddings model with a Trainer; the step keeps the loss as a number for its
# history and re-wraps it with torch.as_tensor(...).requires_grad_() to call backward().
import torch
import torch.nn as nn
import torch.nn.functional as F


class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab, dim, classes):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.out(self.embed(tokens))


class Trainer:
    def __init__(self, model, lr=0.05):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.history = []

    def train_step(self, tokens, target):
        self.model.train()
        self.optimizer.zero_grad()
        loss_value = F.cross_entropy(self.model(tokens), target).item()
        self.history.append(loss_value)
        loss = torch.as_tensor(loss_value).requires_grad_()
        loss.backward()
        self.optimizer.step()
        return loss_value


torch.manual_seed(1)
tokens = torch.randint(0, 500, (128, 12))
target = (tokens < 250).sum(1).gt(6).long()
trainer = Trainer(BagOfEmbeddings(500, 32, 2))
for epoch in range(3):
    last = [trainer.train_step(tokens[i:i + 32], target[i:i + 32]) for i in range(0, 128, 32)]
    print(f"epoch {epoch}: last batch {last[-1]:.3f}, best so far {min(trainer.history):.3f}")
