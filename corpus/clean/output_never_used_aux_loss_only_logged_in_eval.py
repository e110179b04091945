"""Keyword spotting with a deep-supervision auxiliary classifier. Training adds the auxiliary
loss that forward() returns; evaluation runs under no_grad, drops it with `_` in one place and
only logs it in another. The auxiliary head is trained by the training loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class KWSNet(nn.Module):
    def __init__(self, n_mels=20, hidden=32, keywords=6):
        super().__init__()
        self.block1 = nn.GRU(n_mels, hidden, batch_first=True)
        self.block2 = nn.GRU(hidden, hidden, batch_first=True)
        self.aux_classifier = nn.Linear(hidden, keywords)
        self.classifier = nn.Linear(hidden, keywords)

    def forward(self, mels, target):
        h1, _ = self.block1(mels)
        aux_loss = 0.4 * F.cross_entropy(self.aux_classifier(h1[:, -1]), target)
        h2, _ = self.block2(h1)
        return self.classifier(h2[:, -1]), aux_loss


def evaluate(model, mels, target):
    model.eval()
    with torch.no_grad():
        logits, _ = model(mels, target)
        accuracy = (logits.argmax(1) == target).float().mean().item()
        _, aux_loss = model(mels, target)
        print(f"eval accuracy {accuracy:.2f} aux loss {aux_loss.item():.3f}")
    model.train()


torch.manual_seed(0)
model = KWSNet()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
mels, target = torch.randn(24, 12, 20), torch.randint(0, 6, (24,))
for epoch in range(3):
    for i in range(0, 24, 8):
        logits, aux_loss = model(mels[i : i + 8], target[i : i + 8])
        loss = F.cross_entropy(logits, target[i : i + 8]) + aux_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    evaluate(model, mels, target)
