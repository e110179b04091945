# Heartbeat classification on synthetic two-lead ECG: each beat (normal, premature without a
# P wave, or with a wide QRS complex) spans its own number of samples, set by the heart rate, and
# is zero-padded into a batch. The classifier from model.py is trained with Adam on shuffled
# batches.
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from model import BeatClassifier

torch.manual_seed(0)
MAX_LEN, CLASSES = 60, 3


def gaussian(t, centre, width):
    return torch.exp(-((t - centre) ** 2) / (2 * width ** 2))


def synth_beats(count):
    kinds = torch.randint(0, CLASSES, (count,))
    lengths = torch.randint(40, MAX_LEN + 1, (count,)) - 12 * (kinds == 1)
    t = torch.arange(MAX_LEN)[None, :].float() / lengths[:, None]
    p_wave = 0.25 * (kinds != 1)[:, None] * gaussian(t, 0.15, 0.04)
    qrs = gaussian(t, 0.4, torch.tensor([0.04, 0.04, 0.12])[kinds][:, None])
    t_wave = 0.35 * gaussian(t, 0.75, 0.07)
    lead_one = p_wave + qrs + t_wave + 0.05 * torch.randn(count, MAX_LEN)
    lead_two = p_wave + 0.6 * qrs - 0.3 * t_wave + 0.05 * torch.randn(count, MAX_LEN)
    beats = torch.stack([lead_one, lead_two], dim=-1)
    mask = torch.arange(MAX_LEN)[None, :] < lengths[:, None]
    return beats * mask[..., None], lengths, kinds


beats, lengths, kinds = synth_beats(200)
loader = DataLoader(TensorDataset(beats, lengths, kinds), batch_size=25, shuffle=True)
model = BeatClassifier(channels=2, classes=CLASSES)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)

for epoch in range(5):
    total = 0.0
    for batch_beats, batch_lengths, batch_kinds in loader:
        logits = model(batch_beats, batch_lengths)
        loss = nn.functional.cross_entropy(logits, batch_kinds)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    print(f"epoch {epoch}: loss {total / len(loader):.4f}")
