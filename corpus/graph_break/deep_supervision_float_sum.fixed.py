import torch
import torch.nn as nn
import torch.nn.functional as F


class DeeplySupervised(nn.Module):
    """A classifier head after every block; all of them are trained."""

    def __init__(self, width=24, depth=3, classes=4):
        super().__init__()
        self.stem = nn.Linear(16, width)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.GELU()) for _ in range(depth))
        self.heads = nn.ModuleList(nn.Linear(width, classes) for _ in range(depth))

    def forward(self, x):
        h = self.stem(x)
        outputs = []
        for block, head in zip(self.blocks, self.heads):
            h = block(h)
            outputs.append(head(h))
        return outputs


def train(model, x, y, steps=12):
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    for step in range(steps):
        outputs = model(x)
        total = 0.0
        for logits in outputs:
            total += F.cross_entropy(logits, y)
        loss = total / len(outputs)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step}: mean head loss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(2)
    x = torch.randn(200, 16)
    y = torch.randint(0, 4, (200,))
    train(DeeplySupervised(), x, y)
