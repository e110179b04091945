import torch
import torch.nn as nn
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset


class BagOfWords(nn.Module):
    def __init__(self, vocab_size=50, dim=16, num_classes=2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.out = nn.Linear(dim, num_classes)

    def forward(self, tokens):
        emb = self.embed(tokens)
        return self.out(emb.mean(dim=1))


torch.manual_seed(0)
tokens = torch.randint(0, 50, (64, 12))
labels = (tokens < 25).sum(dim=1).gt(6).long()
loader = DataLoader(TensorDataset(tokens, labels), batch_size=16, shuffle=True)

model = BagOfWords()
optimizer = Adam(model.parameters(), lr=1e-2)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(2):
    for batch_tokens, batch_labels in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(batch_tokens), batch_labels)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: last batch loss {loss.item():.4f}")
