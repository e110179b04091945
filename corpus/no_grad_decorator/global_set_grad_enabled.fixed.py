import torch
import torch.nn as nn
import torch.optim as optim

# setup copied from the predict script: no autograd bookkeeping needed
torch.manual_seed(0)
device = "cpu"

vocab_size, num_classes = 50, 3
tokens = torch.randint(0, vocab_size, (96, 12), device=device)
labels = torch.randint(0, num_classes, (96,), device=device)


class BagOfWords(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab_size, 16, mode="mean")
        self.classifier = nn.Linear(16, num_classes)

    def forward(self, tokens):
        return self.classifier(self.embed(tokens))


model = BagOfWords().to(device)
optimizer = optim.Adam(model.parameters(), lr=1e-2)
criterion = nn.CrossEntropyLoss()

for step in range(6):
    batch = slice((step % 3) * 32, (step % 3 + 1) * 32)
    optimizer.zero_grad()
    loss = criterion(model(tokens[batch]), labels[batch])
    loss.backward()
    optimizer.step()
    print(f"step {step}: loss {loss.item():.4f}")
