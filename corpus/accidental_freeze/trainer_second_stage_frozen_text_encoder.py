# Intent classifier with a Trainer: stage one trains the classifier over a frozen bag-of-words
# encoder, start_finetuning() builds the optimizer for the whole model.
import torch
import torch.nn as nn
import torch.nn.functional as F


class BowEncoder(nn.Module):
    def __init__(self, vocab=300, dim=32):
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.proj = nn.Linear(dim, dim)

    def forward(self, tokens):
        return torch.tanh(self.proj(self.bag(tokens)))


class IntentModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.text = BowEncoder()
        self.classifier = nn.Linear(32, 4)

    def forward(self, tokens):
        return self.classifier(self.text(tokens))


class Trainer:
    def __init__(self):
        self.model = IntentModel()
        self.model.text.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.model.classifier.parameters(), lr=1e-2)

    def start_finetuning(self):
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=2e-3)

    def train_epoch(self):
        for _ in range(6):
            tokens = torch.randint(0, 300, (24, 10))
            intent = tokens[:, 0] % 4
            self.optimizer.zero_grad()
            loss = F.cross_entropy(self.model(tokens), intent)
            loss.backward()
            self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
trainer = Trainer()
for epoch in range(4):
    if epoch == 2:
        trainer.start_finetuning()
    print(epoch, trainer.train_epoch())
