# Digit-like glyph classification on synthetic 16x16 images. Each image goes through a fixed,
# torchvision-style transform pipeline as it is loaded (random flip, a fixed blur kernel, then
# normalisation); batches come from a DataLoader with two workers and a small CNN is trained.
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return img.flip(-1) if torch.rand(()) < self.p else img


class FixedBlur:
    def __init__(self):
        k = torch.tensor([1.0, 2.0, 1.0])
        self.kernel = (k[:, None] * k[None, :] / 16).view(1, 1, 3, 3)

    def __call__(self, img):
        return nn.functional.conv2d(img[None], self.kernel, padding=1)[0]


class Normalize:
    def __init__(self, mean, std):
        self.mean, self.std = mean, std

    def __call__(self, img):
        return (img - self.mean) / self.std


class Glyphs(Dataset):
    def __init__(self, n, transform):
        g = torch.Generator().manual_seed(8)
        self.labels = torch.randint(0, 4, (n,), generator=g)
        canvas = torch.zeros(4, 1, 16, 16)
        canvas[0, 0, 3:13, 7:9] = 1
        canvas[1, 0, 7:9, 3:13] = 1
        canvas[2, 0, 3:13, 3:13] = 1
        canvas[2, 0, 5:11, 5:11] = 0
        canvas[3, 0].fill_diagonal_(1)
        self.images = canvas[self.labels] + 0.2 * torch.rand(n, 1, 16, 16, generator=g)
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(self.images[i]), self.labels[i]


if __name__ == "__main__":
    torch.manual_seed(0)
    transform = Compose([RandomHorizontalFlip(), FixedBlur(), Normalize(0.2, 0.3)])
    loader = DataLoader(Glyphs(320, transform), batch_size=32, shuffle=True, num_workers=2)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 8 * 8, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(3):
        for images, labels in loader:
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}")
