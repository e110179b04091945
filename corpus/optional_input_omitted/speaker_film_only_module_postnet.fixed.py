"""Speaker-adaptive speech enhancement on toy spectrogram frames: conditioning-only FiLM modules
(a single projection each, identity when no speaker vector is given) sit between GRU and conv
layers. Each film is called with the speaker embedding, except the one in front of the post-net."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_BINS, N_SPEAKERS, SPK_DIM = 24, 6, 12


class SpeakerFiLM(nn.Module):
    def __init__(self, channels, spk_dim):
        super().__init__()
        self.to_scale_shift = nn.Linear(spk_dim, 2 * channels)

    def forward(self, feats, spk=None):
        if spk is None:
            return feats
        scale, shift = self.to_scale_shift(spk).unsqueeze(1).chunk(2, dim=-1)
        return feats * torch.exp(scale) + shift


class Enhancer(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.speakers = nn.Embedding(N_SPEAKERS, SPK_DIM)
        self.rnn = nn.GRU(N_BINS, hidden, batch_first=True)
        self.film_rnn = SpeakerFiLM(hidden, SPK_DIM)
        self.proj = nn.Linear(hidden, N_BINS)
        self.film_proj = SpeakerFiLM(N_BINS, SPK_DIM)
        self.film_post = SpeakerFiLM(N_BINS, SPK_DIM)
        self.postnet = nn.Conv1d(N_BINS, N_BINS, 5, padding=2)

    def forward(self, noisy, speaker_ids):
        spk = self.speakers(speaker_ids)
        h, _ = self.rnn(noisy)
        h = self.film_rnn(h, spk)
        mask = torch.sigmoid(self.film_proj(self.proj(h), spk))
        est = noisy * mask
        post = self.film_post(est, spk)
        return est + self.postnet(post.transpose(1, 2)).transpose(1, 2)


def batch(n=16, frames=20):
    speaker_ids = torch.randint(0, N_SPEAKERS, (n,))
    tilt = (speaker_ids.float()[:, None, None] + 1) / N_SPEAKERS
    clean = torch.rand(n, frames, N_BINS) * torch.linspace(1, 0.2, N_BINS) * tilt
    return clean + 0.3 * torch.rand_like(clean), clean, speaker_ids


torch.manual_seed(0)
model = Enhancer()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(4):
    for _ in range(10):
        noisy, clean, speaker_ids = batch()
        loss = F.l1_loss(model(noisy, speaker_ids), clean)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: l1 {loss.item():.4f}")
