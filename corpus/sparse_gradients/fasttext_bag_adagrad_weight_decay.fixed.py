import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

VOCAB, DIM, CLASSES = 1000, 32, 4


class FastText(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, DIM, mode="mean", sparse=False)
        self.out = nn.Linear(DIM, CLASSES)

    def forward(self, tokens, offsets):
        return self.out(self.bag(tokens, offsets))


def collate(batch):
    labels = torch.tensor([label for label, _ in batch])
    lengths = torch.tensor([len(tokens) for _, tokens in batch])
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
    return labels, torch.cat([tokens for _, tokens in batch]), offsets


torch.manual_seed(2)
documents = []
for _ in range(400):
    label = int(torch.randint(0, CLASSES, ()))
    length = int(torch.randint(5, 20, ()))
    documents.append((label, torch.randint(label * 250, label * 250 + 250, (length,))))
loader = DataLoader(documents, batch_size=32, shuffle=True, collate_fn=collate)

model = FastText()
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.2, weight_decay=1e-5)
for epoch in range(3):
    for labels, tokens, offsets in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(tokens, offsets), labels)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
