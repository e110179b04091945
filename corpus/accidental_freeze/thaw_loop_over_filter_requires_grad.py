# Sentiment classifier: warm up the classifier over a frozen GRU encoder, then train the encoder
# too. The unfreeze helper walks filter(lambda p: p.requires_grad, ...): the frozen ones are never seen.
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, EMBED, HIDDEN = 200, 24, 32


def freeze(module):
    for p in module.parameters():
        p.requires_grad = False


def unfreeze(module):
    for p in filter(lambda p: p.requires_grad, module.parameters()):
        p.requires_grad = True


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, EMBED)
        self.rnn = nn.GRU(EMBED, HIDDEN, batch_first=True)
        self.out = nn.Linear(HIDDEN, 2)

    def forward(self, tokens):
        _, h = self.rnn(self.embed(tokens))
        return self.out(h[-1])


def batches(n):
    for _ in range(n):
        tokens = torch.randint(0, VOCAB, (16, 12))
        yield tokens, (tokens < VOCAB // 2).float().mean(1).gt(0.5).long()


torch.manual_seed(0)
model = GRUClassifier()
freeze(model.rnn)
warmup = torch.optim.Adam([*model.embed.parameters(), *model.out.parameters()], lr=3e-3)
for tokens, labels in batches(10):
    warmup.zero_grad()
    F.cross_entropy(model(tokens), labels).backward()
    warmup.step()

unfreeze(model.rnn)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
for tokens, labels in batches(10):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(tokens), labels)
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.3f}")
