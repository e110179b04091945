"""A gradient-norm regulariser (penalise the norm of the loss gradient) for a classifier with a
frozen pretrained embedding: torch.autograd.grad is asked only for the trainable parameters, and a
retained activation gradient is read for logging."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(23)


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.EmbeddingBag(100, 16, mode="mean")
        self.hidden = nn.Linear(16, 32)
        self.out = nn.Linear(32, 4)

    def forward(self, ids):
        self.features = torch.tanh(self.hidden(self.embed(ids)))
        return self.out(self.features)


model = BagClassifier()
model.embed.weight.requires_grad = False
trainable = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.Adam(trainable, lr=1e-2)
ids = torch.randint(0, 100, (64, 6))
labels = ids[:, 0] % 4
for step in range(8):
    batch = slice((step % 4) * 16, (step % 4 + 1) * 16)
    loss = F.cross_entropy(model(ids[batch]), labels[batch])
    model.features.retain_grad()
    grads = torch.autograd.grad(loss, trainable, create_graph=True)
    penalty = sum(g.pow(2).sum() for g in grads)
    optimizer.zero_grad()
    (loss + 0.01 * penalty).backward()
    optimizer.step()
    print(step, round(loss.item(), 4), float(model.features.grad.abs().mean()))
