"""Linear-probe-then-finetune of a pretrained 1-D conv encoder on ECG-like signals: the optimizer is
built for the encoder, then the name `model` is rebound to the encoder with a classifier on top."""
import torch
import torch.nn as nn


class ConvEncoder(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, channels, 7, padding=3), nn.BatchNorm1d(channels), nn.ReLU(),
            nn.Conv1d(channels, channels, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def pretrained_encoder():
    encoder = ConvEncoder()
    state = {k: v + 0.01 * torch.randn_like(v) if v.is_floating_point() else v for k, v in encoder.state_dict().items()}
    encoder.load_state_dict(state)  # stand-in for the self-supervised checkpoint
    return encoder


def train(model, optimizer, signals, labels, epochs=4):
    for epoch in range(epochs):
        for start in range(0, len(labels), 32):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(signals[start:start + 32]), labels[start:start + 32])
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: {loss.item():.4f}")


torch.manual_seed(21)
signals = torch.randn(96, 1, 128)
labels = (signals[:, 0, :64].mean(dim=1) > 0).long() * 2 + (signals[:, 0, 64:].std(dim=1) > 1).long()

model = pretrained_encoder()
optimizer = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
model = nn.Sequential(model, nn.Dropout(0.1), nn.Linear(16, 4))
train(model, optimizer, signals, labels)
