"""Gradual unfreezing (ULMFiT style): the pretrained embedding stays frozen until the epoch the
config names, and a schedule in a helper module reads the config's train_embedding to thaw it."""
import torch
import torch.nn as nn
from schedule import maybe_unfreeze

cfg = {"lr": 1e-2, "epochs": 50, "unfreeze_epoch": 40, "train_embedding": True}
vectors = torch.randn(50, 8)  # stands in for GloVe vectors read from disk


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(vectors)  # frozen until unfreeze_epoch
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.embedding(x).mean(1))


torch.manual_seed(0)
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
x = torch.randint(0, 50, (16, 5))
y = torch.randint(0, 2, (16,))
for epoch in range(cfg["epochs"]):
    maybe_unfreeze(model, cfg, epoch)
    for _ in range(20):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
