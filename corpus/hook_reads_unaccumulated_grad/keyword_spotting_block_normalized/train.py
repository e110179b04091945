"""Train a keyword spotter on synthetic log-mel spectrograms of five keywords.

Each keyword is a fixed sequence of formant-like bands drifting over time; utterances vary in
speed, onset and loudness and carry background noise.
"""
import random

import torch
import torch.nn.functional as F

import kws_net as kn

KEYWORDS = ["yes", "no", "stop", "go", "left"]
N_MELS, FRAMES = 20, 32

random.seed(1)
torch.manual_seed(1)

TEMPLATES = [
    [(random.randrange(2, N_MELS - 2), random.randrange(2, N_MELS - 2)) for _ in range(3)]
    for _ in KEYWORDS
]


def utterance(label):
    spec = 0.8 * torch.randn(N_MELS, FRAMES)
    speed = random.uniform(0.8, 1.2)
    onset = random.randrange(0, 8)
    length = int(20 * speed)
    gain = random.uniform(0.7, 1.3)
    frames = torch.arange(onset, min(onset + length, FRAMES))
    progress = (frames - onset).float() / max(length - 1, 1)
    for start_band, end_band in TEMPLATES[label]:
        bands = (start_band + (end_band - start_band) * progress).round().long()
        spec[bands, frames] += 0.9 * gain
        spec[(bands - 1).clamp(min=0), frames] += 0.4 * gain
    return spec


def dataset(n):
    labels = [random.randrange(len(KEYWORDS)) for _ in range(n)]
    return torch.stack([utterance(k) for k in labels]), torch.tensor(labels)


def accuracy(model, specs, labels):
    model.eval()
    with torch.no_grad():
        acc = (model(specs).argmax(1) == labels).float().mean().item()
    model.train()
    return acc


def main():
    train_x, train_y = dataset(512)
    test_x, test_y = dataset(200)
    model = kn.KeywordNet(n_keywords=len(KEYWORDS), n_mels=N_MELS)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=3)

    for epoch in range(3):
        order = torch.randperm(len(train_x))
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            logits = model(train_x[idx])
            loss = F.cross_entropy(logits, train_y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}, test accuracy {accuracy(model, test_x, test_y):.3f}")


if __name__ == "__main__":
    main()
