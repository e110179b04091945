"""Topic classifier on pretrained word vectors, fine-tuned with a smaller learning rate."""
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, DIM, TOPICS = 300, 20, 4


class BagOfVectors(nn.Module):
    def __init__(self, vectors):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(vectors, padding_idx=0)
        self.classifier = nn.Sequential(nn.Linear(DIM, 32), nn.ReLU(), nn.Linear(32, TOPICS))

    def forward(self, tokens):
        mask = (tokens != 0).float().unsqueeze(-1)
        pooled = (self.embedding(tokens) * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.classifier(pooled)


torch.manual_seed(0)
glove = torch.randn(VOCAB, DIM)  # stand-in for vectors read from glove.6B.50d.txt
model = BagOfVectors(glove)
optimizer = torch.optim.Adam([
    {"params": model.embedding.parameters(), "lr": 1e-4},
    {"params": model.classifier.parameters(), "lr": 1e-3},
])
tokens = torch.randint(0, VOCAB, (128, 12))
topics = tokens[:, 0] % TOPICS
for epoch in range(3):
    for i in range(0, 128, 32):
        loss = F.cross_entropy(model(tokens[i:i + 32]), topics[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
