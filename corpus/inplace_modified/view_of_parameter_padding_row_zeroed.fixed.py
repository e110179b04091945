"""A bag-of-embeddings sentiment classifier over padded token batches; the padding row of the
embedding table is kept at zero."""
import torch
import torch.nn as nn

PAD, VOCAB = 0, 100


class BagClassifier(nn.Module):
    def __init__(self, dim=24, classes=2):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, dim)
        self.out = nn.Linear(dim, classes)

    def forward(self, tokens):
        with torch.no_grad():
            self.embed.weight[PAD].zero_()  # padding contributes nothing to the sum
        summed = self.embed(tokens).sum(1)
        counts = (tokens != PAD).sum(1, keepdim=True).clamp(min=1)
        return self.out(summed / counts)


torch.manual_seed(6)
tokens = torch.randint(1, VOCAB, (200, 12))
tokens[:, 8:] = PAD
labels = (tokens[:, 0] > VOCAB // 2).long()
clf = BagClassifier()
opt = torch.optim.Adam(clf.parameters(), lr=1e-2)
for epoch in range(4):
    for i in range(0, 200, 25):
        loss = nn.functional.cross_entropy(clf(tokens[i:i + 25]), labels[i:i + 25])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, loss.item())
