"""Speaker classification from synthetic log-mel frames: a 1-D conv frontend, statistics pooling
(mean and standard deviation over time), then an embedding layer and a classifier."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class XVector(nn.Module):
    def __init__(self, n_mels=20, channels=48, emb=32, speakers=6):
        super().__init__()
        self.frontend = nn.Sequential(
            nn.Conv1d(n_mels, channels, 5, padding=2), nn.ReLU(), nn.BatchNorm1d(channels),
            nn.Conv1d(channels, channels, 3, dilation=2, padding=2), nn.ReLU(), nn.BatchNorm1d(channels),
        )
        self.segment = nn.Linear(2 * channels, emb)
        self.classifier = nn.Linear(emb, speakers)

    def embed(self, mels):
        frames = self.frontend(mels)
        stats = torch.cat([frames.mean(dim=2), frames.std(dim=2)], dim=1)
        embedding = F.relu(self.segment(stats))
        return embedding

    def forward(self, mels):
        return self.classifier(self.embed(mels))


def batch(n=32, n_mels=20, frames=40, speakers=6):
    labels = torch.randint(0, speakers, (n,))
    centres = torch.linspace(-1, 1, speakers)[labels]
    mels = torch.randn(n, n_mels, frames) * 0.5 + centres[:, None, None]
    return mels, labels


torch.manual_seed(3)
model = XVector()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for step in range(30):
    mels, labels = batch()
    loss = F.cross_entropy(model(mels), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step} loss {loss.item():.3f}")
