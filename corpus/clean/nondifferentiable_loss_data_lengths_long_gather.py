"""A sequence classifier reads the GRU state at each sequence's last real step: the index is made
from the batch's lengths (data, not a trainable tensor) with .long() and read with gather."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(29)
T, D = 12, 8


class LastStepClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(D, 16, batch_first=True)
        self.head = nn.Linear(16, 2)

    def forward(self, x, lengths):
        states, _ = self.rnn(x)
        last = (lengths.float() - 1).round().long()
        picked = states.gather(1, last.view(-1, 1, 1).expand(-1, 1, states.size(2))).squeeze(1)
        return self.head(picked)


model = LastStepClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(10):
    x = torch.randn(20, T, D)
    lengths = torch.randint(3, T + 1, (20,))
    labels = (x[:, 0, 0] > 0).long()
    loss = F.cross_entropy(model(x, lengths), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
