# Report: https://github.com/yeyupiaoling/MASR/issues/64
# A DeepSpeech2-style CTC recogniser (conv front-end + bidirectional GRU) on synthetic
# filterbank features. The collate function pads utterances in the order the shuffled DataLoader
# gives them, and the encoder packs the padded batch with pack_padded_sequence(..., x_lens)
# using the default enforce_sorted=True. The first shuffled batch is not sorted by length, so the
# encoder fails: "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True".
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.utils.data import DataLoader, Dataset

config = dict(n_mels=20, vocab=12, rnn_hidden=48, rnn_layers=2, batch_size=16, epochs=3, lr=1e-3,
              n_train=192, n_dev=32, seed=11)
random.seed(config["seed"])
torch.manual_seed(config["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"


class SyntheticSpeech(Dataset):
    """Each token is rendered as a few frames of a token-specific spectral pattern."""

    def __init__(self, n):
        self.patterns = torch.randn(config["vocab"], config["n_mels"])
        self.items = []
        for _ in range(n):
            tokens = torch.randint(1, config["vocab"], (random.randint(3, 9),))
            frames = [self.patterns[t].repeat(random.randint(5, 8), 1) for t in tokens]
            feats = torch.cat(frames) + 0.3 * torch.randn(sum(len(f) for f in frames), config["n_mels"])
            self.items.append((feats, tokens))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate_fn(batch):
    feats, labels = zip(*batch)
    x_lens = torch.tensor([len(f) for f in feats])
    y_lens = torch.tensor([len(l) for l in labels])
    return pad_sequence(feats, batch_first=True), x_lens, torch.cat(labels), y_lens


class ConvSubsample(nn.Module):
    def __init__(self, n_mels, channels=16):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, channels, 3, stride=(2, 1), padding=1), nn.BatchNorm2d(channels), nn.Hardtanh(0, 20))
        self.out_dim = channels * n_mels

    def forward(self, x, x_lens):
        x = self.conv(x.unsqueeze(1))  # B, C, T/2, F
        x = x.permute(0, 2, 1, 3).flatten(2)
        return x, (x_lens + 1) // 2


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.sub = ConvSubsample(config["n_mels"])
        self.rnn = nn.GRU(self.sub.out_dim, config["rnn_hidden"], num_layers=config["rnn_layers"], batch_first=True, bidirectional=True)

    def forward(self, x, x_lens):
        x, x_lens = self.sub(x, x_lens)
        x = nn.utils.rnn.pack_padded_sequence(x, x_lens.cpu(), batch_first=True, enforce_sorted=False)
        x, _ = self.rnn(x)
        x, _ = pad_packed_sequence(x, batch_first=True)
        return x, x_lens


class DeepSpeech2(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.output = nn.Linear(2 * config["rnn_hidden"], config["vocab"])

    def forward(self, x, x_lens):
        h, out_lens = self.encoder(x, x_lens)
        return self.output(h).log_softmax(-1), out_lens


def greedy_cer(log_probs, out_lens, labels, y_lens):
    errors, total, offset = 0, 0, 0
    for b in range(log_probs.size(0)):
        path = log_probs[b, : out_lens[b]].argmax(-1).tolist()
        hyp = [p for i, p in enumerate(path) if p != 0 and (i == 0 or p != path[i - 1])]
        ref = labels[offset: offset + y_lens[b]].tolist()
        offset += y_lens[b]
        errors += sum(h != r for h, r in zip(hyp, ref)) + abs(len(hyp) - len(ref))
        total += len(ref)
    return errors / total


model = DeepSpeech2().to(device)
optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"])
ctc = nn.CTCLoss(blank=0, zero_infinity=True)
train_loader = DataLoader(SyntheticSpeech(config["n_train"]), batch_size=config["batch_size"], shuffle=True, collate_fn=collate_fn)
dev_loader = DataLoader(SyntheticSpeech(config["n_dev"]), batch_size=config["batch_size"], collate_fn=collate_fn)

for epoch in range(config["epochs"]):
    model.train()
    for i, (x, x_lens, labels, y_lens) in enumerate(train_loader):
        log_probs, out_lens = model(x.to(device), x_lens)
        loss = ctc(log_probs.transpose(0, 1), labels, out_lens, y_lens)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 400)
        optimizer.step()
        if i % 4 == 0:
            print(f"[{epoch}][{i}/{len(train_loader)}] loss {loss.item():.3f}")
    model.eval()
    with torch.no_grad():
        cers = [greedy_cer(*model(x.to(device), xl), lab, yl) for x, xl, lab, yl in dev_loader]
    print(f"epoch {epoch} dev CER {sum(cers) / len(cers):.3f}")
