# Pretrained word vectors are put into the embedding after the optimizer was built, by
# rebinding its weight: Adam keeps the random weight, the model trains with a frozen copy.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class BagOfWords(nn.Module):
    def __init__(self, vocab, dim, classes):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        return self.out(self.embed(tokens).mean(1))


model = BagOfWords(50, 16, 3)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

vectors = torch.randn(50, 16) * 0.1
model.embed.weight.data.copy_(vectors)

tokens = torch.randint(0, 50, (64, 7))
labels = torch.randint(0, 3, (64,))
for step in range(20):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(tokens), labels)
    loss.backward()
    optimizer.step()
print(loss.item())
