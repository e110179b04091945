"""Keypoint regression: the engine builds its adaptive wing loss (learned per-keypoint scales) and
only then wires the optimizer up, in a method of its own."""
import torch
import torch.nn as nn


class AdaptiveWingLoss(nn.Module):
    def __init__(self, keypoints, omega=1.0, eps=0.5):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(keypoints))
        self.omega, self.eps = omega, eps

    def forward(self, pred, target):
        err = (pred - target).abs() * self.log_scale.exp()
        wing = self.omega * torch.log1p(err / self.eps)
        return (wing - self.log_scale).mean()


class Engine:
    def __init__(self, model, optimizer, keypoints):
        self.model = model
        self.loss_fn = AdaptiveWingLoss(keypoints)
        self._configure(optimizer)

    def _configure(self, optimizer):
        self.optimizer = optimizer
        self.clip = 5.0

    def run(self, images, targets):
        for i in range(0, len(images), 10):
            loss = self.loss_fn(self.model(images[i:i + 10]), targets[i:i + 10])
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
            self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 5))
engine = Engine(model, torch.optim.Adam(model.parameters(), lr=2e-3), keypoints=5)
images = torch.randn(60, 1, 8, 8)
targets = images.flatten(1)[:, :5] * 0.5
for epoch in range(3):
    print(epoch, engine.run(images, targets))
