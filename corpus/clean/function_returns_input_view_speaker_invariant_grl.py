"""Speaker-invariant keyword spotting on synthetic filterbank frames: a gradient reversal layer
(returning x.view_as(x)) feeds a speaker adversary. The features it reverses are never changed in
place afterwards: the keyword head's in-place activations act on its own Linear outputs."""
import torch
from torch import nn
import torch.nn.functional as F

torch.manual_seed(4)

N_MELS, FRAMES, N_WORDS, N_SPEAKERS = 20, 24, 5, 6


class ReverseGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coeff):
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.coeff * grad_output, None


class KeywordSpotter(nn.Module):
    def __init__(self, hidden=48):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(N_MELS, hidden, 5, padding=2),
            nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv1d(hidden, hidden, 5, padding=2),
        )
        self.keyword_head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, N_WORDS))
        self.speaker_head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, N_SPEAKERS))

    def forward(self, mels, coeff):
        pooled = self.encoder(mels).mean(-1)
        speaker_logits = self.speaker_head(ReverseGrad.apply(pooled, coeff))
        word_logits = self.keyword_head(pooled)
        return word_logits, speaker_logits


def make_batch(n):
    words = torch.randint(0, N_WORDS, (n,))
    speakers = torch.randint(0, N_SPEAKERS, (n,))
    t = torch.linspace(0, 1, FRAMES)
    band = torch.arange(N_MELS).float()[:, None]
    word_pattern = torch.sin(2 * torch.pi * (words[:, None, None] + 1) * t + band / 4)
    speaker_tilt = 0.2 * (speakers[:, None, None].float() - 2.5) * band / N_MELS
    return word_pattern + speaker_tilt + 0.3 * torch.randn(n, N_MELS, FRAMES), words, speakers


model = KeywordSpotter()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
for step in range(60):
    mels, words, speakers = make_batch(32)
    coeff = min(1.0, step / 30)
    word_logits, speaker_logits = model(mels, coeff)
    loss = F.cross_entropy(word_logits, words) + 0.5 * F.cross_entropy(speaker_logits, speakers)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 19:
        acc = (word_logits.argmax(1) == words).float().mean().item()
        print(f"step {step + 1}: loss {loss.item():.3f} keyword acc {acc:.2f}")
