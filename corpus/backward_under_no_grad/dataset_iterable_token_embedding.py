"""A streaming text classifier: the IterableDataset embeds each sentence as it yields it, under
no_grad, and the optimizer holds the embedding table next to the classifier."""
import torch
from torch import nn
from torch.utils.data import DataLoader, IterableDataset

torch.manual_seed(0)


class EmbeddedStream(IterableDataset):
    def __init__(self, n, embedding):
        self.n = n
        self.embedding = embedding

    def __iter__(self):
        g = torch.Generator().manual_seed(1)
        for _ in range(self.n):
            ids = torch.randint(1, 50, (8,), generator=g)
            label = int(ids[0] % 2)
            with torch.no_grad():
                sentence = self.embedding(ids).mean(dim=0)
            yield sentence, label


embedding = nn.Embedding(50, 16)
classifier = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 2))
loader = DataLoader(EmbeddedStream(64, embedding), batch_size=8)
optimizer = torch.optim.Adam(list(classifier.parameters()) + list(embedding.parameters()), lr=1e-2)

for epoch in range(2):
    for sentences, labels in loader:
        loss = nn.functional.cross_entropy(classifier(sentences), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
