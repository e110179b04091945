# Recognising hand-drawn shapes (circle, square, triangle, zigzag) from pen trajectories: each
# drawing is a list of (dx, dy) pen moves of its own length. The DataLoader's collate function
# packs the drawings of a batch into one packed sequence, and an LSTM's last state classifies it.
import math

import torch
from torch import nn
from torch.utils.data import DataLoader

torch.manual_seed(0)
SHAPES = 4


def draw(shape):
    n = int(torch.randint(12, 48, ()).item())
    t = torch.linspace(0, 1, n)
    if shape == 0:
        xy = torch.stack([torch.cos(2 * math.pi * t), torch.sin(2 * math.pi * t)], 1)
    elif shape == 1:
        side = (t * 4).floor().clamp(max=3)
        xy = torch.stack([torch.cos(side * math.pi / 2), torch.sin(side * math.pi / 2)], 1)
    elif shape == 2:
        side = (t * 3).floor().clamp(max=2)
        xy = torch.stack([torch.cos(side * 2 * math.pi / 3), torch.sin(side * 2 * math.pi / 3)], 1)
    else:
        xy = torch.stack([t * 2 - 1, (t * 8).floor().remainder(2) * 2 - 1], 1)
    xy = xy + 0.05 * torch.randn(n, 2)
    return torch.diff(xy, dim=0, prepend=xy[:1]), shape


def collate(batch):
    strokes, shapes = zip(*batch)
    return nn.utils.rnn.pack_sequence(list(strokes)), torch.tensor(shapes)


class StrokeClassifier(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.lstm = nn.LSTM(2, hidden)
        self.out = nn.Linear(hidden, SHAPES)

    def forward(self, packed):
        _, (h_n, _) = self.lstm(packed)
        return self.out(h_n[-1])


drawings = [draw(int(s)) for s in torch.randint(0, SHAPES, (240,))]
loader = DataLoader(drawings, batch_size=24, shuffle=True, collate_fn=collate)
model = StrokeClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

for epoch in range(5):
    total, correct = 0.0, 0
    for packed, shapes in loader:
        logits = model(packed)
        loss = nn.functional.cross_entropy(logits, shapes)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
        correct += (logits.argmax(1) == shapes).sum().item()
    print(f"epoch {epoch}: loss {total / len(loader):.4f}, accuracy {correct / len(drawings):.2f}")
