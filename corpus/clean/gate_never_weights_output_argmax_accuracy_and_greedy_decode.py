"""A next-token model trained with cross-entropy on its logits. The argmax of the logits is taken
with gradients on only for the accuracy; a greedy decode under no_grad feeds each argmax token back
through the embedding. Neither is a path the model should train through."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(19)
VOCAB, DIM, LEN = 30, 16, 7


class NextToken(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.cell = nn.GRUCell(DIM, DIM)
        self.out = nn.Linear(DIM, VOCAB)

    def forward(self, tokens):
        h = tokens.new_zeros(tokens.size(0), DIM, dtype=torch.float)
        logits = []
        for t in range(tokens.size(1)):
            h = self.cell(self.embed(tokens[:, t]), h)
            logits.append(self.out(h))
        return torch.stack(logits, 1)

    @torch.no_grad()
    def greedy(self, start, steps):
        token, h, made = start, start.new_zeros(start.size(0), DIM, dtype=torch.float), []
        for _ in range(steps):
            h = self.cell(self.embed(token), h)
            token = self.out(h).argmax(-1)
            made.append(token)
        return torch.stack(made, 1)


def train_step(model, optimizer, tokens):
    logits = model(tokens[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), tokens[:, 1:].reshape(-1))
    predicted = logits.argmax(-1)
    accuracy = (predicted == tokens[:, 1:]).float().mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item(), accuracy.item()


model = NextToken()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(10):
    start = torch.randint(0, VOCAB, (16, 1))
    tokens = (start + torch.arange(LEN + 1)) % VOCAB
    loss, accuracy = train_step(model, optimizer, tokens)
print(loss, accuracy, model.greedy(torch.zeros(2, dtype=torch.long), 5).tolist())
