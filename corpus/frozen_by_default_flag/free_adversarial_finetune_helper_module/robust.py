"""Robust fine-tuning for the activity recogniser: the 1-D convolutional network, a loader for
its checkpoints, and a trainer doing "free" adversarial training (each batch replayed a few
times, one backward pass giving both the weight update and the next perturbation)."""
import torch
from torch import nn


class ActivityNet(nn.Module):
    def __init__(self, channels=3, n_classes=3, width=24):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(channels, width, 5, padding=2), nn.ReLU(),
            nn.Conv1d(width, width, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
        )
        self.classify = nn.Linear(width, n_classes)

    def forward(self, x):
        return self.classify(self.features(x))


def load_pretrained(state, trainable=False, **kwargs):
    model = ActivityNet(**kwargs)
    model.load_state_dict(state)
    for p in model.parameters():
        p.requires_grad_(trainable)
    return model


class FreeAdversarialTrainer:
    def __init__(self, state, epsilon=0.1, replays=3, lr=1e-3):
        self.model = load_pretrained(state)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.epsilon, self.replays = epsilon, replays
        self.delta = None

    def train_batch(self, x, y):
        if self.delta is None or self.delta.shape != x.shape:
            self.delta = torch.zeros_like(x)
        for _ in range(self.replays):
            delta = self.delta.requires_grad_(True)
            loss = nn.functional.cross_entropy(self.model(x + delta), y)
            self.optimizer.zero_grad()
            loss.backward()
            step = self.epsilon * delta.grad.sign()
            self.delta = (delta.detach() + step).clamp(-self.epsilon, self.epsilon)
            self.optimizer.step()
        return loss.item()
