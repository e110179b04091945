"""A small language model whose token table is kept short by max_norm, plus an L2 penalty on it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
VOCAB, DIM, SEQ = 50, 16, 12


class TinyLM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM, max_norm=1.0)
        self.rnn = nn.GRU(DIM, DIM, batch_first=True)
        self.head = nn.Linear(DIM, VOCAB)

    def forward(self, tokens):
        h, _ = self.rnn(self.embed(tokens))
        penalty = 1e-3 * self.embed.weight.pow(2).sum()
        return self.head(h), penalty


model = TinyLM()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
data = torch.randint(0, VOCAB, (64, SEQ + 1))
for step in range(8):
    batch = data[torch.randint(0, 64, (16,))]
    logits, penalty = model(batch[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), batch[:, 1:].reshape(-1)) + penalty
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, round(loss.item(), 4))
