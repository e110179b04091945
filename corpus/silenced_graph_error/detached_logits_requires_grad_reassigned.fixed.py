# Sentiment classifier over pooled token embeddings; logits are detached for a metric first.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Pooler(nn.Module):
    def __init__(self, vocab=300, dim=32, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.fc = nn.Linear(dim, classes)

    def forward(self, ids):
        return self.fc(self.embed(ids).mean(dim=1))


ids = torch.randint(0, 300, (180, 16))
labels = ids[:, 0] % 3
model = Pooler()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(4):
    for i in range(0, 180, 60):
        logits = model(ids[i:i + 60])
        accuracy = (logits.argmax(1) == labels[i:i + 60]).float().mean()
        loss = loss_fn(logits, labels[i:i + 60])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f} acc {accuracy:.2f}")
