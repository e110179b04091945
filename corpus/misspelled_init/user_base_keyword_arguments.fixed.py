"""Models share a base class that counts their parameters; the classifier's constructor is
misspelled, so the base's __init__ receives its keyword arguments."""
import torch
import torch.nn as nn


class BaseModel(nn.Module):
    def __init__(self):
        super().__init__()

    def num_parameters(self):
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


class SentimentClassifier(BaseModel):
    def __init__(self, vocab_size=500, embed_dim=32, n_classes=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.GRU(embed_dim, embed_dim, batch_first=True)
        self.fc = nn.Linear(embed_dim, n_classes)

    def forward(self, tokens):
        _, h = self.rnn(self.embedding(tokens))
        return self.fc(h[-1])


torch.manual_seed(0)
model = SentimentClassifier(vocab_size=500, embed_dim=32)
print("parameters:", model.num_parameters())
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
tokens = torch.randint(0, 500, (16, 20))
labels = torch.randint(0, 2, (16,))
for epoch in range(3):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(tokens), labels)
    loss.backward()
    optimizer.step()
    print(epoch, round(loss.item(), 4))
