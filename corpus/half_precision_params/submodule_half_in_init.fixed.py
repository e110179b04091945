# Text classifier with an embedding bag and an MLP head; the author made the (large) embedding
# table float16 inside the model, then trained everything under autocast with a GradScaler.
import torch
from torch import nn
from torch.amp import GradScaler, autocast

torch.manual_seed(0)
VOCAB = 500


class BagClassifier(nn.Module):
    def __init__(self, vocab, dim=32, classes=3):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.head = nn.Sequential(nn.Linear(dim, 32), nn.ReLU(), nn.Linear(32, classes))

    def forward(self, tokens, offsets):
        return self.head(self.embedding(tokens, offsets).float())


classifier = BagClassifier(VOCAB)
optimizer = torch.optim.Adam(classifier.parameters(), lr=5e-3)
scaler = GradScaler("cpu")
tokens = torch.randint(0, VOCAB, (400,))
offsets = torch.arange(0, 400, 10)
labels = torch.randint(0, 3, (40,))
for epoch in range(6):
    optimizer.zero_grad()
    with autocast("cpu", dtype=torch.float16):
        loss = nn.functional.cross_entropy(classifier(tokens, offsets), labels)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    print(epoch, loss.item())
