import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
VOCAB, DIM, CONTEXT = 400, 16, 3


class NextWord(nn.Module):
    """A small language model: the previous words' vectors, concatenated, predict the next word."""

    def __init__(self):
        super().__init__()
        self.words = nn.Embedding(VOCAB, DIM, padding_idx=0, sparse=False)
        self.hidden = nn.Linear(CONTEXT * DIM, 64)
        self.out = nn.Linear(64, VOCAB)

    def forward(self, context):
        return self.out(torch.tanh(self.hidden(self.words(context).flatten(1))))


text = torch.randint(1, VOCAB, (3000,))
windows = text.unfold(0, CONTEXT + 1, 1)
net = NextWord()
sgd = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

for epoch in range(2):
    for batch in windows.split(128):
        logits = net(batch[:, :CONTEXT])
        loss = F.cross_entropy(logits, batch[:, CONTEXT])
        sgd.zero_grad()
        loss.backward()
        # keep the updates bounded early in training
        torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=5.0)
        sgd.step()
    print(f"epoch {epoch}: perplexity {loss.exp().item():.1f}")
