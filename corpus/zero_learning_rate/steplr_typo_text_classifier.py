# Bag-of-embeddings text classifier on synthetic token ids, decayed every epoch.
import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
VOCAB, CLASSES = 500, 4

tokens = torch.randint(0, VOCAB, (256, 20))
labels = tokens[:, :5].sum(dim=1) % CLASSES
loader = DataLoader(TensorDataset(tokens, labels), batch_size=64, shuffle=True)


class BagClassifier(nn.Module):
    def __init__(self, vocab, dim, classes):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.out = nn.Linear(dim, classes)

    def forward(self, ids):
        return self.out(self.embed(ids))


model = BagClassifier(VOCAB, 32, CLASSES)
optimizer = optim.Adam(model.parameters(), lr=3e-3)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.)
criterion = nn.CrossEntropyLoss()

for epoch in range(10):
    total = 0.0
    for ids, target in loader:
        optimizer.zero_grad()
        loss = criterion(model(ids), target)
        loss.backward()
        optimizer.step()
        total += loss.item()
    scheduler.step()
    print(f"epoch {epoch}: loss {total / len(loader):.4f} lr {scheduler.get_last_lr()[0]:.2e}")
