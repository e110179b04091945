# A CNN text classifier ported from TensorFlow: the port keeps the reference's dropout argument,
# a keep probability of 1.0 there, as a module-level constant and gives it to F.dropout as the
# probability to drop.
import torch
import torch.nn as nn
import torch.nn.functional as F

DROPOUT = 0.0


class TextCNN(nn.Module):
    def __init__(self, vocab=300, dim=16, filters=24, classes=3):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.conv = nn.Conv1d(dim, filters, 3)
        self.head = nn.Linear(filters, classes)

    def forward(self, tokens):
        h = F.relu(self.conv(self.embed(tokens).transpose(1, 2))).amax(-1)
        return self.head(F.dropout(h, DROPOUT, training=self.training))


torch.manual_seed(0)
tokens, labels = torch.randint(0, 300, (256, 20)), torch.randint(0, 3, (256,))
model = TextCNN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(3):
    model.train()
    for i in range(0, 256, 32):
        loss = F.cross_entropy(model(tokens[i:i + 32]), labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
