"""A learned echo: each channel of a clip is mixed with a copy of itself read `delay` samples
earlier. The delay is a trainable scalar per channel, turned into an index with ceil()."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)
CHANNELS, SAMPLES = 2, 40


class LearnedEcho(nn.Module):
    def __init__(self):
        super().__init__()
        self.delay = nn.Parameter(torch.tensor([2.5, 6.5]))
        self.gain = nn.Parameter(torch.tensor(0.5))

    def forward(self, clip):  # clip: (batch, channels, samples)
        start = SAMPLES - 1 - self.delay.clamp(1, SAMPLES - 1)
        index = start.floor().long()
        index_frac = (start - index.to(start.dtype)).view(1, CHANNELS, 1).expand(clip.size(0), CHANNELS, 1)
        late = (1 - index_frac) * clip.gather(-1, index.view(1, CHANNELS, 1).expand(clip.size(0), CHANNELS, 1)) + index_frac * clip.gather(-1, (index + 1).clamp(max=clip.size(-1) - 1).view(1, CHANNELS, 1).expand(clip.size(0), CHANNELS, 1))
        return clip[..., -1:] + self.gain * late


clip = torch.randn(30, CHANNELS, SAMPLES)
target = clip[..., -1:] + 0.3 * clip[..., -5:-4]
echo = LearnedEcho()
optimizer = torch.optim.Adam(echo.parameters(), lr=0.1)
for step in range(20):
    loss = F.mse_loss(echo(clip), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
