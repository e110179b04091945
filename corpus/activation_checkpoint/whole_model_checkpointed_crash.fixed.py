"""Character-level next-token model; the whole forward is checkpointed in the training step."""
import torch
from torch import nn
from torch.utils.checkpoint import checkpoint as ckpt

torch.manual_seed(0)
text = "the quick brown fox jumps over the lazy dog " * 20
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text])


class CharMLP(nn.Module):
    def __init__(self, vocab, context=4, dim=24):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(context * dim, 96), nn.Tanh(), nn.Linear(96, vocab))

    def forward(self, idx):
        return self.net(self.emb(idx))


def train_step(model, optimizer, idx, target):
    # recompute the activations in backward: the real model has a much longer context
    logits = ckpt(model, idx, use_reentrant=False)
    loss = nn.functional.cross_entropy(logits, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


model = CharMLP(len(chars))
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(100):
    starts = torch.randint(0, len(data) - 5, (32,))
    idx = torch.stack([data[s:s + 4] for s in starts])
    target = data[starts + 4]
    loss = train_step(model, optimizer, idx, target)
    if step % 25 == 0:
        print(step, loss)
