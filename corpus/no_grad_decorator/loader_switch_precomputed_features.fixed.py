"""Few-shot classifier on cached features: the loader restores a pretrained CNN and embeds the
support images once; a cosine classifier is then trained on the cached embeddings."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)


class ConvEmbedder(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )

    def forward(self, x):
        return self.features(x)


def load_and_embed(images):
    with torch.no_grad():
        embedder = ConvEmbedder()
        state = {k: v + 0.05 * torch.randn_like(v) for k, v in embedder.state_dict().items()}
        embedder.load_state_dict(state)  # the pretrained checkpoint
        embedder.eval()
        embeddings = embedder(images)
    return embedder, embeddings


class CosineClassifier(nn.Module):
    def __init__(self, dim, classes, scale=10.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(classes, dim) * 0.1)
        self.scale = scale

    def forward(self, z):
        return self.scale * F.normalize(z, dim=-1) @ F.normalize(self.weight, dim=-1).t()


images = torch.randn(50, 1, 14, 14)
labels = torch.arange(50) % 5
embedder, cached = load_and_embed(images)
classifier = CosineClassifier(16, 5)
optimizer = torch.optim.Adam(classifier.parameters(), lr=0.05)
for epoch in range(10):
    loss = F.cross_entropy(classifier(cached), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(f"final loss {loss.item():.3f}")
