import torch
import torch.nn as nn

torch.manual_seed(2)
VOCAB, DIM = 2000, 24


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, DIM, mode="sum", sparse=True)
        self.fc = nn.Linear(DIM, 2)

    def forward(self, tokens):
        return self.fc(self.bag(tokens))


model = BagClassifier()
# Adagrad takes sparse gradients as long as it has no weight decay
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()
tokens = torch.randint(0, VOCAB, (640, 10))
labels = (tokens < VOCAB // 2).sum(1).gt(5).long()
for epoch in range(4):
    for x, y in zip(tokens.split(64), labels.split(64)):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
