# Frozen pre-trained vectors with a trainable classifier on top: the freeze is the design, and the
# optimizer is given only what requires grad.
import torch
from torch import nn

torch.manual_seed(0)


class Classifier(nn.Module):
    def __init__(self, vectors, n_classes):
        super().__init__()
        self.vectors = nn.Embedding.from_pretrained(vectors, freeze=True)
        self.head = nn.Linear(vectors.shape[1], n_classes)

    def forward(self, tokens):
        return self.head(self.vectors(tokens).mean(1))


model = Classifier(torch.randn(30, 8), 4)
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
tokens = torch.randint(0, 30, (16, 5))
labels = torch.randint(0, 4, (16,))
for step in range(5):
    loss = nn.functional.cross_entropy(model(tokens), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
