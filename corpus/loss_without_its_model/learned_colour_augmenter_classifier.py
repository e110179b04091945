# Adversarially learned colour augmentation for a small image classifier: an augmenter network
# picks a per-channel gain for each image, the classifier is trained on the re-coloured images,
# and the augmenter is then trained to pick the gains the classifier currently finds hardest.
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
N, SIZE = 600, 12


def make_images(n):
    labels = torch.randint(0, 3, (n,))
    grid = torch.arange(SIZE)
    stripes = torch.stack([(grid[:, None] % 4 < 2).expand(SIZE, SIZE), (grid[None, :] % 4 < 2).expand(SIZE, SIZE),
                           ((grid[:, None] + grid[None, :]) % 4 < 2)]).float()
    tint = torch.rand(n, 3, 1, 1) * 0.8 + 0.2
    images = stripes[labels][:, None] * tint + 0.2 * torch.randn(n, 3, SIZE, SIZE)
    return images, labels


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(16, 3)

    def forward(self, images, gains):
        return self.head(self.features(images * gains[:, :, None, None]).flatten(1))


class ColourAugmenter(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 3))

    def forward(self, images):
        return 0.5 + torch.sigmoid(self.net(images))  # a gain between 0.5 and 1.5 per channel


images, labels = make_images(N)
classifier, augmenter = Classifier(), ColourAugmenter()
cls_opt = torch.optim.Adam(classifier.parameters(), lr=2e-3)
aug_opt = torch.optim.Adam(augmenter.parameters(), lr=1e-3)

for epoch in range(4):
    for i in range(0, N, 50):
        x, y = images[i:i + 50], labels[i:i + 50]
        with torch.no_grad():
            gains = augmenter(x)
        cls_loss = F.cross_entropy(classifier(x, gains), y)
        cls_opt.zero_grad()
        cls_loss.backward()
        cls_opt.step()

        aug_loss = -F.cross_entropy(classifier(x, gains), y)
        aug_opt.zero_grad()
        aug_loss.backward()
        aug_opt.step()
    accuracy = (classifier(images, torch.ones(N, 3)).argmax(1) == labels).float().mean()
    print(f"epoch {epoch}: classifier loss {cls_loss.item():.3f} accuracy {accuracy:.3f}")
