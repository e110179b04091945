"""Downstream training of a BYOL-A audio encoder (AudioNTT2020 architecture) on synthetic
log-mel spectrograms: first a linear-evaluation stage with the encoder frozen, then a
fine-tuning stage where encoder and classifier are trained together."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

N_MELS, FRAMES, D, CLASSES = 16, 24, 64, 4


class NetworkCommonMixIn:
    def set_trainable(self, trainable=False):
        for p in self.parameters():
            if p.requires_grad:
                p.requires_grad = trainable


class AudioNTT2020(nn.Module, NetworkCommonMixIn):
    def __init__(self, n_mels=N_MELS, d=D):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.fc = nn.Sequential(nn.Linear(16 * (n_mels // 4), d), nn.ReLU(), nn.Dropout(0.3), nn.Linear(d, d), nn.ReLU())

    def forward(self, x):
        x = self.features(x)                 # (B, C, mel, time)
        x = x.permute(0, 3, 2, 1).flatten(2)  # (B, time, mel*C)
        x = self.fc(x)
        return x.mean(1) + x.amax(1)          # temporal mean + max pooling


class Classifier(nn.Module):
    def __init__(self, encoder, num_classes):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(D, num_classes)

    def forward(self, x):
        return self.head(self.encoder(x))


def make_clips(n):
    labels = torch.randint(0, CLASSES, (n,))
    t = torch.arange(FRAMES).float()
    spec = 0.3 * torch.randn(n, 1, N_MELS, FRAMES)
    for i in range(n):
        band = 2 + 3 * labels[i]
        spec[i, 0, band:band + 3] += torch.sin(t * (0.3 + 0.2 * labels[i]))
    return spec.to(device), labels.to(device)


def run_stage(model, optimizer, epochs, name):
    for epoch in range(epochs):
        model.train()
        x, y = make_clips(64)
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        x, y = make_clips(128)
        acc = (model(x).argmax(1) == y).float().mean().item()
    print(f"[{name}] final loss {loss.item():.4f}  val acc {acc:.3f}")


encoder = AudioNTT2020().to(device)   # pretrained BYOL-A weights would be loaded here
model = Classifier(encoder, CLASSES).to(device)

# stage 1: linear evaluation, encoder frozen
encoder.set_trainable(False)
run_stage(model, torch.optim.Adam(model.head.parameters(), lr=1e-2), 20, "linear eval")

# stage 2: fine-tune everything
encoder.set_trainable(True)
run_stage(model, torch.optim.Adam(model.parameters(), lr=1e-3), 20, "fine-tune")
