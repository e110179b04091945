# Report: https://github.com/espnet/espnet/pull/5297
# The S3PRL frontend is meant to fine-tune the wav2vec2/HuBERT CNN feature extractor, but when the
# upstream loader has set feature_grad_mult to 0.0 the override to 1.0 is skipped and the CNN
# runs under torch.no_grad(): it never receives a gradient.
"""Keyword spotting on synthetic 1-second clips with a small wav2vec2-style upstream used as a
trainable frontend (weighted sum of encoder layers + classifier)."""
import copy
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
SAMPLE_RATE, N_CLASSES, EPOCHS = 2000, 5, 4


class GradMultiply(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.new(x)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


class ConvFeatureExtractor(nn.Module):
    def __init__(self, layers=((32, 10, 5), (32, 3, 2), (32, 3, 2), (32, 2, 2))):
        super().__init__()
        blocks, in_ch = [], 1
        for i, (dim, k, stride) in enumerate(layers):
            norm = nn.GroupNorm(dim, dim) if i == 0 else nn.Identity()
            blocks.append(nn.Sequential(nn.Conv1d(in_ch, dim, k, stride=stride, bias=False), norm, nn.GELU()))
            in_ch = dim
        self.conv_layers = nn.ModuleList(blocks)

    def forward(self, wav):
        x = wav.unsqueeze(1)
        for conv in self.conv_layers:
            x = conv(x)
        return x


class TinyWav2Vec2(nn.Module):
    def __init__(self, embed_dim=64, n_layers=3, feature_grad_mult=0.1):
        super().__init__()
        self.feature_extractor = ConvFeatureExtractor()
        self.layer_norm = nn.LayerNorm(32)
        self.post_extract_proj = nn.Linear(32, embed_dim)
        self.pos_conv = nn.Conv1d(embed_dim, embed_dim, 9, padding=4, groups=8)
        self.encoder = nn.ModuleList(
            nn.TransformerEncoderLayer(embed_dim, 4, 128, dropout=0.1, batch_first=True) for _ in range(n_layers)
        )
        self.feature_grad_mult = feature_grad_mult

    def forward(self, source):
        if self.feature_grad_mult > 0:
            features = self.feature_extractor(source)
            if self.feature_grad_mult != 1.0:
                features = GradMultiply.apply(features, self.feature_grad_mult)
        else:
            with torch.no_grad():
                features = self.feature_extractor(source)
        x = self.post_extract_proj(self.layer_norm(features.transpose(1, 2)))
        x = x + self.pos_conv(x.transpose(1, 2)).transpose(1, 2)
        hidden_states = [x]
        for layer in self.encoder:
            x = layer(x)
            hidden_states.append(x)
        return hidden_states


def load_upstream(name="tiny_hubert"):
    """Mimics the S3PRL upstream loader (SUPERB defaults)."""
    model = TinyWav2Vec2()
    model.feature_grad_mult = 0.0
    model.encoder_layerdrop = 0.0
    return model


class S3prlFrontend(nn.Module):
    def __init__(self, upstream_name="tiny_hubert", multilayer_feature=True):
        super().__init__()
        upstream = load_upstream(upstream_name)
        if getattr(upstream, "feature_grad_mult", None) is not None:
            upstream.feature_grad_mult = 1.0
        self.upstream = upstream
        n_layers = len(upstream.encoder) + 1
        self.layer_weights = nn.Parameter(torch.zeros(n_layers))
        self.multilayer_feature = multilayer_feature
        self.pretrained_params = copy.deepcopy(self.upstream.state_dict())

    def forward(self, wav):
        hs = self.upstream(wav)
        if not self.multilayer_feature:
            return hs[-1]
        w = F.softmax(self.layer_weights, dim=0)
        return sum(wi * h for wi, h in zip(w, hs))


class KeywordSpotter(nn.Module):
    def __init__(self):
        super().__init__()
        self.frontend = S3prlFrontend()
        self.head = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, N_CLASSES))

    def forward(self, wav):
        feats = self.frontend(wav)
        return self.head(feats.mean(dim=1))


class SyntheticKeywords(Dataset):
    """Each class is a chirp with its own start/end frequency, random onset, gain and noise."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, N_CLASSES, (n,), generator=g)
        t = torch.arange(SAMPLE_RATE) / SAMPLE_RATE
        self.wavs = []
        for c in self.labels.tolist():
            f0, f1 = 100 + 80 * c, 200 + 100 * c
            onset = int(torch.randint(0, SAMPLE_RATE // 3, (1,), generator=g))
            dur = SAMPLE_RATE // 2
            tt = t[:dur]
            chirp = torch.sin(2 * math.pi * (f0 * tt + 0.5 * (f1 - f0) * tt ** 2 / tt[-1]))
            wav = 0.05 * torch.randn(SAMPLE_RATE, generator=g)
            wav[onset:onset + dur] += chirp * (0.5 + torch.rand(1, generator=g))
            self.wavs.append(wav)
        self.wavs = torch.stack(self.wavs)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.wavs[i], self.labels[i]


train_loader = DataLoader(SyntheticKeywords(224, seed=1), batch_size=32, shuffle=True)
valid_loader = DataLoader(SyntheticKeywords(96, seed=2), batch_size=48)

model = KeywordSpotter().to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-3, total_steps=EPOCHS * len(train_loader))

start = time.time()
for epoch in range(EPOCHS):
    model.train()
    running = 0.0
    for wav, label in train_loader:
        wav, label = wav.to(device), label.to(device)
        loss = F.cross_entropy(model(wav), label)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        scheduler.step()
        running += loss.item()
    model.eval()
    correct = 0
    with torch.no_grad():
        for wav, label in valid_loader:
            correct += (model(wav.to(device)).argmax(-1) == label.to(device)).sum().item()
    print(f"epoch {epoch} loss {running / len(train_loader):.3f} "
          f"acc {correct / len(valid_loader.dataset):.3f} ({time.time() - start:.1f}s)")
