import torch
import torch.nn as nn
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset


class SentenceEncoder(nn.Module):
    def __init__(self, vocab_size=60, dim=24, num_classes=2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.mix = nn.Linear(dim, dim)
        self.attn_score = nn.Linear(dim, 1)
        self.classifier = nn.Linear(dim, num_classes)

    def forward(self, tokens):
        h = torch.tanh(self.mix(self.embed(tokens)))
        pooled = h.mean(dim=1)
        return self.classifier(pooled)


torch.manual_seed(0)
tokens = torch.randint(0, 60, (64, 9))
labels = (tokens.float().mean(dim=1) > 30).long()
loader = DataLoader(TensorDataset(tokens, labels), batch_size=16, shuffle=True)

model = SentenceEncoder()
optimizer = Adam(model.parameters(), lr=3e-3)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(2):
    for batch_tokens, batch_labels in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(batch_tokens), batch_labels)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
