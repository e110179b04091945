"""Adapt a small speech encoder (conv front end + 12 transformer layers) to keyword spotting.
Parameters whose names match one of the freeze patterns keep their pretrained values."""
import re

import torch
import torch.nn as nn

FREEZE_PATTERNS = [r"^feature_extractor\.", r"^encoder\.layers\.0", r"^encoder\.layers\.1"]


class SpeechEncoder(nn.Module):
    def __init__(self, dim=32, layers=12, keywords=10):
        super().__init__()
        self.feature_extractor = nn.Sequential(
            nn.Conv1d(1, dim, 10, stride=5), nn.GELU(), nn.Conv1d(dim, dim, 3, stride=2), nn.GELU()
        )
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.classifier = nn.Linear(dim, keywords)

    def forward(self, wave):
        features = self.feature_extractor(wave).transpose(1, 2)
        return self.classifier(self.encoder(features).mean(dim=1))


class Trainer:
    def __init__(self, model, patterns, lr=1e-3):
        self.model = model
        self.frozen = self.freeze(patterns)
        trainable = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(trainable, lr=lr)

    def freeze(self, patterns):
        compiled = [re.compile(p) for p in patterns]
        frozen = []
        for name, param in self.model.named_parameters():
            if any(c.match(name) for c in compiled):
                param.requires_grad = False
                frozen.append(name)
        return frozen

    def step(self, wave, labels):
        loss = nn.functional.cross_entropy(self.model(wave), labels)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


torch.manual_seed(0)
model = SpeechEncoder()
trainer = Trainer(model, FREEZE_PATTERNS)
for epoch in range(3):
    for _ in range(10):
        labels = torch.randint(0, 10, (8,))
        wave = torch.randn(8, 1, 400) + labels[:, None, None].float() / 5
        loss = trainer.step(wave, labels)
    print(f"epoch {epoch}: {loss:.3f} ({len(trainer.frozen)} frozen tensors)")
