# A learnable colour augmentation (a per-channel affine map) trained together with the classifier,
# but applied inside the Dataset: with worker processes it runs there, and the classifier only
# receives the augmented images as data.
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset


class LearnedJitter(nn.Module):
    def __init__(self, channels=3):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(channels, 1, 1))
        self.shift = nn.Parameter(torch.zeros(channels, 1, 1))

    def forward(self, image):
        return image * self.scale + self.shift


class JitteredImages(Dataset):
    def __init__(self, images, labels, jitter):
        self.images, self.labels, self.jitter = images, labels, jitter

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        image = self.jitter(self.images[index]).detach()  # a tensor with a graph cannot leave a worker
        return image, self.labels[index]


class Trainer:
    def __init__(self, config):
        torch.manual_seed(0)
        self.jitter = LearnedJitter()
        self.classifier = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
        data = JitteredImages(torch.randn(64, 3, 8, 8), torch.randint(0, 4, (64,)), self.jitter)
        self.loader = DataLoader(data, batch_size=16, shuffle=True, num_workers=config["workers"])
        params = list(self.classifier.parameters()) + list(self.jitter.parameters())
        self.optimizer = torch.optim.Adam(params, lr=config["lr"])

    def fit(self, epochs):
        for epoch in range(epochs):
            for images, labels in self.loader:
                self.optimizer.zero_grad()
                loss = nn.functional.cross_entropy(self.classifier(images), labels)
                loss.backward()
                self.optimizer.step()
            print(epoch, loss.item())


if __name__ == "__main__":
    Trainer({"lr": 1e-2, "workers": 2}).fit(3)
