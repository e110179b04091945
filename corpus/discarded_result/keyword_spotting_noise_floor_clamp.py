# Keyword spotting on synthetic mel power spectrograms: each keyword lights up its own bands in
# its own order over time, under quiet background noise. The front end takes the log, lifts it
# to a learned per-band noise floor (model.frontend.noise_floor) and normalises it; a small 1-D
# convolution net classifies the result.
import torch as th
import torch.nn as tnn
import torch.nn.functional as F

th.manual_seed(0)
MELS, FRAMES, WORDS = 24, 40, 5
patterns = th.randint(0, MELS, (WORDS, 4))


def make_batch(size):
    words = th.randint(0, WORDS, (size,))
    power = th.rand(size, MELS, FRAMES) * 1e-3
    for segment in range(4):
        bands = patterns[words, segment]
        start = segment * 10 + th.randint(0, 3, (1,)).item()
        gain = 0.5 + th.rand(size, 1)
        for offset in (-1, 0, 1):
            power[th.arange(size), (bands + offset).clamp(0, MELS - 1), start:start + 8] += gain * (1.0 - 0.6 * abs(offset))
    return power, words


class LogMelFrontend(tnn.Module):
    def __init__(self, mels):
        super().__init__()
        self.noise_floor = tnn.Parameter(th.full((mels, 1), -3.0))
        self.norm = tnn.BatchNorm1d(mels)

    def forward(self, power):
        logmel = th.log(power + 1e-8)
        logmel.clamp(min=self.noise_floor)
        return self.norm(logmel)


class KeywordNet(tnn.Module):
    def __init__(self):
        super().__init__()
        self.frontend = LogMelFrontend(MELS)
        self.conv = tnn.Sequential(tnn.Conv1d(MELS, 32, 5, padding=2), tnn.ReLU(), tnn.Conv1d(32, 32, 5, padding=2), tnn.ReLU())
        self.head = tnn.Linear(32, WORDS)

    def forward(self, power):
        return self.head(self.conv(self.frontend(power)).mean(-1))


model = KeywordNet()
optimizer = th.optim.Adam(model.parameters(), lr=2e-3)

for step in range(120):
    power, words = make_batch(32)
    loss = F.cross_entropy(model(power), words)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 40 == 0:
        print(f"step {step}  loss {loss.item():.3f}")

model.eval()
power, words = make_batch(256)
with th.no_grad():
    accuracy = (model(power).argmax(1) == words).float().mean().item()
print(f"final loss {loss.item():.3f}  accuracy {accuracy:.3f}")
