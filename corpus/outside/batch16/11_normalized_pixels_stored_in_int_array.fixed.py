# Report: https://github.com/keras-team/keras/issues/255
# The reporter's screenshot classifier never learned and its weights did not seem to update; the cause was the
# data: the pixels were scaled to [0, 1] but the array was still an integer array, so every pixel became 0.
import argparse

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def get_args():
    p = argparse.ArgumentParser()
    p.add_argument("--n_images", type=int, default=512)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args([])


def load_screenshots(n, size, rng):
    """Stand-in for the game screenshots: uint8 RGB frames, class 1 has a bright 'player' blob."""
    frames = rng.randint(0, 120, (n, size, size, 3)).astype(np.uint8)
    labels = rng.randint(0, 2, n)
    for i in np.where(labels == 1)[0]:
        r, c = rng.randint(0, size - 4, 2)
        frames[i, r:r + 4, c:c + 4] = rng.randint(180, 255, (4, 4, 3))
    return frames, labels


def preprocess(frames):
    # channels first, each pixel normalised to [0, 1]
    images = np.zeros((frames.shape[0], 3, frames.shape[1], frames.shape[2]), dtype=np.float32)
    for i, frame in enumerate(frames):
        images[i] = frame.transpose(2, 0, 1) / 255.0
    return images


class ScreenNet(nn.Module):
    def __init__(self, size):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * (size // 4) ** 2, 64), nn.ReLU(),
                                        nn.Linear(64, 2))

    def forward(self, x):
        return self.classifier(self.features(x))


def run(args):
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    frames, labels = load_screenshots(args.n_images, args.size, rng)
    images = preprocess(frames)
    ds = TensorDataset(torch.from_numpy(images).float(), torch.from_numpy(labels))
    loader = DataLoader(ds, batch_size=args.batch_size, shuffle=True)
    model = ScreenNet(args.size)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        total, correct, running = 0, 0, 0.0
        for x, y in loader:
            out = model(x)
            loss = criterion(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            total += len(y)
        print(f"epoch {epoch} loss {running / total:.4f} acc {correct / total:.3f}")
    return model


if __name__ == "__main__":
    model = run(get_args())
