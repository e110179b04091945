import torch
import torch.nn as nn
import torch.nn.functional as F


class EarlyExitNet(nn.Module):
    """A stack of blocks with an exit after any of them; deployed at a fixed depth, the blocks
    past the exit never run."""

    def __init__(self, width=16, n_blocks=4, n_classes=5, depth=2):
        super().__init__()
        self.stem = nn.Linear(12, width)
        self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(width, width), nn.Tanh()) for _ in range(n_blocks)])
        self.exit = nn.Linear(width, n_classes)
        self.depth = depth

    def forward(self, x):
        h = self.stem(x)
        for block in self.blocks[: self.depth]:
            h = h + block(h)
        return self.exit(h)


class Trainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def freeze_blocks(self):
        for block in self.model.blocks:
            for p in block.parameters():
                p.requires_grad = False

    def unfreeze_blocks(self):
        for block in self.model.blocks:
            for p in block.parameters():
                p.requires_grad = True

    def fit(self, x, y, epochs, warmup):
        self.freeze_blocks()
        for epoch in range(epochs):
            if epoch == warmup:
                self.unfreeze_blocks()
            loss = F.cross_entropy(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            print(f"epoch {epoch}: loss {loss.item():.4f}")


torch.manual_seed(0)
trainer = Trainer(EarlyExitNet())
trainer.fit(torch.randn(64, 12), torch.randint(0, 5, (64,)), epochs=6, warmup=3)
