"""A pointer head predicts where in the sequence to read (a position in [0, T-1] per example); the
position is truncated to an integer with .long() and the token there is read with torch.gather."""
import torch
from torch import nn

torch.manual_seed(13)
T, D = 16, 8


class PointerReader(nn.Module):
    def __init__(self):
        super().__init__()
        self.pointer = nn.Sequential(nn.Linear(D, 16), nn.Tanh(), nn.Linear(16, 1))
        self.out = nn.Linear(D, 1)

    def forward(self, seq):
        pos = torch.sigmoid(self.pointer(seq.mean(1))) * (T - 1)
        idx = pos.long()
        read = torch.gather(seq, 1, idx.unsqueeze(-1).expand(-1, -1, D))
        return self.out(read.squeeze(1)).squeeze(-1)


model = PointerReader()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for step in range(12):
    seq = torch.randn(32, T, D)
    target = seq[:, 5, 0]
    loss = nn.functional.mse_loss(model(seq), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
