"""Closed-set speaker identification from MFCC-like frames (synthetic vowel formants per speaker).

Cepstral mean normalisation is applied in place to the projected frames; a running mean of the
channel means is kept for streaming inference, where an utterance is too short to estimate its own."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N_SPEAKERS = 10
N_CEPS = 20
FRAMES = 50
UTTS_PER_SPEAKER = 60


class CepstralMeanNorm_(torch.autograd.Function):
    @staticmethod
    def forward(ctx, feats, running_mean, momentum, training):
        dirty = [feats]
        if training:
            mean = feats.mean(dim=1, keepdim=True)
            running_mean.lerp_(mean.mean(dim=0).squeeze(0), momentum)
            dirty.append(running_mean)
        else:
            mean = running_mean.view(1, 1, -1)
        feats.sub_(mean)
        ctx.mark_dirty(*dirty)
        ctx.training = training
        return feats

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.training:
            grad_out = grad_out - grad_out.mean(dim=1, keepdim=True)
        return grad_out, None, None, None


class SpeakerNet(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
        self.proj = nn.Linear(N_CEPS, dim)
        self.register_buffer("running_mean", torch.zeros(dim))
        self.frame_net = nn.Sequential(nn.GELU(), nn.Linear(dim, dim), nn.GELU())
        self.classifier = nn.Linear(2 * dim, N_SPEAKERS)

    def forward(self, mfcc):
        h = CepstralMeanNorm_.apply(self.proj(mfcc), self.running_mean, 0.05, self.training)
        h = self.frame_net(h)
        pooled = torch.cat([h.mean(dim=1), h.std(dim=1)], dim=-1)
        return self.classifier(pooled)


def utterances(gen):
    vowels = torch.randn(N_SPEAKERS, 4, N_CEPS, generator=gen)
    speakers = torch.arange(N_SPEAKERS).repeat_interleave(UTTS_PER_SPEAKER)
    states = torch.randint(0, 4, (len(speakers), FRAMES), generator=gen)
    channel = 2.0 * torch.randn(len(speakers), 1, N_CEPS, generator=gen)
    frames = vowels[speakers[:, None], states] + channel + 0.5 * torch.randn(len(speakers), FRAMES, N_CEPS, generator=gen)
    return frames, speakers


def evaluate(net, x, y):
    net.eval()
    with torch.no_grad():
        acc = (net(x).argmax(-1) == y).float().mean().item()
    net.train()
    return acc


def main():
    gen = torch.Generator().manual_seed(2)
    torch.manual_seed(2)
    x, y = utterances(gen)
    perm = torch.randperm(len(y), generator=gen)
    train_idx, test_idx = perm[:480], perm[480:]
    net = SpeakerNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    print(f"test accuracy before training: {evaluate(net, x[test_idx], y[test_idx]):.3f}")
    for epoch in range(6):
        order = train_idx[torch.randperm(len(train_idx))]
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            loss = F.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}  test accuracy {evaluate(net, x[test_idx], y[test_idx]):.3f}")


if __name__ == "__main__":
    main()
