# GRU tagger with a linear warm-up of the learning rate that starts at 0 in the first epoch.
import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

torch.manual_seed(0)
WARMUP_EPOCHS = 3


class Tagger(nn.Module):
    def __init__(self, vocab=100, dim=24, tags=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, tags)

    def forward(self, ids):
        h, _ = self.rnn(self.embed(ids))
        return self.out(h)


words = torch.randint(0, 100, (96, 10))
tags = words % 5
model = Tagger()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
warmup = LambdaLR(optimizer, lr_lambda=lambda epoch: min(1.0, epoch / WARMUP_EPOCHS))
criterion = nn.CrossEntropyLoss()

for epoch in range(8):
    for i in range(0, 96, 32):
        logits = model(words[i:i + 32])
        loss = criterion(logits.reshape(-1, 5), tags[i:i + 32].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    warmup.step()
    print(epoch, round(loss.item(), 4), warmup.get_last_lr()[0])
