# Classifies small synthetic texture patches (stripes, checkers, blobs) with a tiny CNN. Each patch
# first goes through a learnable per-channel gamma curve that is trained together with the CNN, so
# the network can pick the contrast it sees best. Batches come from a DataLoader with workers.
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class GammaCurve(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.log_gamma = nn.Parameter(torch.zeros(channels, 1, 1))
        self.gain = nn.Parameter(torch.ones(channels, 1, 1))

    def forward(self, img):
        return self.gain * img.clamp_min(1e-4) ** self.log_gamma.exp()


class TexturePatches(Dataset):
    def __init__(self, n, transform=None):
        g = torch.Generator().manual_seed(1)
        self.labels = torch.randint(0, 3, (n,), generator=g)
        yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
        patterns = torch.stack([(torch.sin(xx) + 1) / 2, ((xx // 4 + yy // 4) % 2), torch.exp(-((xx - 8) ** 2 + (yy - 8) ** 2) / 20)])
        noise = 0.15 * torch.rand(n, 3, 16, 16, generator=g)
        self.images = (patterns[self.labels][:, None].expand(-1, 3, -1, -1) * 0.8 + noise).clamp(0, 1)
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = self.images[i]
        if self.transform is not None:
            img = self.transform(img)
        return img, self.labels[i]


def make_loader(dataset, batch_size):
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=2)


def main():
    torch.manual_seed(0)
    curve = GammaCurve(3)
    dataset = TexturePatches(384, transform=curve)
    loader = make_loader(dataset, 32)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(16, 3),
    )
    optimizer = torch.optim.Adam(list(model.parameters()) + list(curve.parameters()), lr=3e-3)
    loss_fn = nn.CrossEntropyLoss()

    for epoch in range(3):
        correct = 0
        for images, labels in loader:
            logits = model(images)
            loss = loss_fn(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            correct += (logits.argmax(1) == labels).sum().item()
        print(f"epoch {epoch}: loss {loss.item():.3f} acc {correct / len(dataset):.2f}")
    print("gamma", curve.log_gamma.exp().flatten().tolist())


if __name__ == "__main__":
    main()
