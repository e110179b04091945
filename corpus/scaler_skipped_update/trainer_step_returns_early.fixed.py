"""Image classification with a small CNN, a Trainer class and automatic mixed precision. The step
function guards against gradient spikes by returning before the optimizer step."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)


class SmallCNN(nn.Module):
    def __init__(self, classes=5):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(32, classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class Trainer:
    def __init__(self, model, lr=1e-3, spike_limit=0.9):
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.model = model.to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.scaler = torch.amp.GradScaler(self.device)
        self.spike_limit = spike_limit
        self.skipped = 0

    def train_step(self, images, labels):
        images, labels = images.to(self.device), labels.to(self.device)
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device, dtype=torch.bfloat16):
            logits = self.model(images)
        loss = F.cross_entropy(logits.float(), labels)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        norm = nn.utils.clip_grad_norm_(self.model.parameters(), 10.0)
        if norm > self.spike_limit:
            self.skipped += 1
            self.scaler.update()
            return None
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return loss.item()

    def fit(self, batches, epochs=2):
        for epoch in range(epochs):
            losses = [l for l in (self.train_step(x, y) for x, y in batches) if l is not None]
            print(f"epoch {epoch}: {len(losses)} steps, {self.skipped} skipped")


if __name__ == "__main__":
    batches = [(torch.randn(16, 3, 16, 16), torch.randint(0, 5, (16,))) for _ in range(8)]
    Trainer(SmallCNN()).fit(batches)
