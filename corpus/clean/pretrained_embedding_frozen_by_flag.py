"""Word vectors loaded with nn.Embedding.from_pretrained(freeze=False), then frozen by a flag.
Correct: frozen pretrained values, not a random layer frozen by accident."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, vectors, freeze_embeddings=True):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(vectors, freeze=False)
        if freeze_embeddings:
            self.embedding.weight.requires_grad = False
        self.fc = nn.Linear(vectors.size(1), 2)

    def forward(self, t):
        return self.fc(self.embedding(t).mean(1))


torch.manual_seed(0)
vectors = torch.randn(200, 25)  # stand-in for pretrained vectors
model = Classifier(vectors)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(6):
    t, y = torch.randint(0, 200, (32, 10)), torch.randint(0, 2, (32,))
    loss = F.cross_entropy(model(t), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(step, loss.item())
