"""Audio-tag classifier on log-mel frames trained by a Trainer class with a triangular cyclical
learning rate between 0 and 0.05."""
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import CyclicLR


class FrameCNN(nn.Module):
    def __init__(self, mels=32, tags=6):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(mels, 48, 5, padding=2), nn.ReLU(),
            nn.Conv1d(48, 48, 5, padding=2), nn.ReLU(),
        )
        self.tagger = nn.Linear(48, tags)

    def forward(self, mel):
        return self.tagger(self.conv(mel).amax(dim=-1))


class Trainer:
    def __init__(self, model, iters_per_epoch):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        self.scheduler = CyclicLR(self.optimizer, base_lr=0.0, max_lr=0.05, step_size_up=2 * iters_per_epoch)
        self.loss_fn = nn.BCEWithLogitsLoss()

    def train_step(self, mel, tags):
        logits = self.model(mel)
        loss = self.loss_fn(logits, tags)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, loader, epochs):
        for epoch in range(epochs):
            avg = sum(self.train_step(m, t) for m, t in loader) / len(loader)
            print(f"epoch {epoch}: bce {avg:.4f} lr {self.optimizer.param_groups[0]['lr']:.4f}")


torch.manual_seed(0)
loader = [(torch.randn(8, 32, 50), torch.randint(0, 2, (8, 6)).float()) for _ in range(6)]
Trainer(FrameCNN(), iters_per_epoch=len(loader)).fit(loader, epochs=4)
