# Prompt tuning for activity recognition from accelerometer-like signals: synthetic three-channel
# sequences of varying length (walking, running, resting differ in rhythm and energy) are padded
# into batches; the encoder from model.py stays frozen and only the soft prompt and the classifier
# are trained with Adam.
import math

import torch

from model import PromptedActivityModel, SensorEncoder

torch.manual_seed(0)
CHANNELS, DIM, STEPS, CLASSES = 3, 32, 24, 3


def make_batch(n):
    labels = torch.randint(0, CLASSES, (n,))
    t = torch.arange(STEPS).float()[None, :, None]
    freq = (0.2 + 0.4 * labels.float())[:, None, None]
    amp = (1.0 - 0.4 * (labels == 2).float())[:, None, None]
    phase = torch.rand(n, 1, CHANNELS) * 2 * math.pi
    signals = amp * torch.sin(freq * t + phase) + 0.2 * torch.randn(n, STEPS, CHANNELS)
    lengths = torch.randint(STEPS // 2, STEPS + 1, (n,))
    padding = torch.arange(STEPS)[None] >= lengths[:, None]
    return signals.masked_fill(padding[..., None], 0.0), padding, labels


encoder = SensorEncoder(CHANNELS, DIM)
encoder.requires_grad_(False)
model = PromptedActivityModel(encoder, DIM, prompt_len=6, classes=CLASSES)
optimizer = torch.optim.Adam([model.soft_prompt, *model.classifier.parameters()], lr=3e-3)

for step in range(60):
    signals, padding, labels = make_batch(32)
    loss = torch.nn.functional.cross_entropy(model(signals, padding), labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

with torch.no_grad():
    signals, padding, labels = make_batch(256)
    accuracy = (model(signals, padding).argmax(1) == labels).float().mean()
print(f"loss {loss.item():.4f}  held-out accuracy {accuracy.item():.3f}")
