# Deep supervision: every intermediate head gets a cross-entropy, appended to a list that is
# only printed. The heads that only those losses reach never train.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class DeeplySupervised(nn.Module):
    def __init__(self, width=32, depth=3, classes=5):
        super().__init__()
        self.stem = nn.Linear(10, width)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.ReLU()) for _ in range(depth))
        self.side_heads = nn.ModuleList(nn.Linear(width, classes) for _ in range(depth - 1))
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        h = self.stem(x)
        side = []
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i < len(self.side_heads):
                side.append(self.side_heads[i](h))
        return self.head(h), side


def train(model, batches):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for x, y in batches:
        logits, side_logits = model(x)
        loss = F.cross_entropy(logits, y)
        aux_losses = []
        for side in side_logits:
            aux_losses.append(F.cross_entropy(side, y))
        optimizer.zero_grad()
        loss = loss + sum(aux_losses)
        loss.backward()
        optimizer.step()
        print(f"loss {loss.item():.3f} aux {[round(a.item(), 3) for a in aux_losses]}")


batches = [(torch.randn(16, 10), torch.randint(0, 5, (16,))) for _ in range(10)]
train(DeeplySupervised(), batches)
