"""Tied input/output embeddings with max_norm: the rows are looked up (and renormalised) before the
table is used as the output projection; its norms are only logged, with gradients off."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, DIM = 40, 12


class TiedLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM, max_norm=1.0)
        self.mix = nn.Linear(DIM, DIM)

    def forward(self, tokens):
        with torch.no_grad():
            self.last_norm = self.embed.weight.norm(dim=1).max().item()
        h = torch.tanh(self.mix(self.embed(tokens)))
        return h @ self.embed.weight.t()


model = TiedLM()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
data = torch.randint(0, VOCAB, (32, 9))
for step in range(6):
    logits = model(data[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), data[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 4), round(model.last_norm, 3))
