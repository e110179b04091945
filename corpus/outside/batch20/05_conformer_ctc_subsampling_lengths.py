# Reproduces: https://github.com/sooftware/conformer/issues/61
# A small CTC speech recognizer with a Conformer-style Conv2dSubsampling front end: two
# 3x3 convolutions with stride 2 and no padding. The module returns output lengths from
# a shortcut formula, input_lengths >> 2, which assumes the time axis is divided by
# exactly 4. Unpadded 3x3/stride-2 convs give ((L - 1) // 2 - 1) // 2 frames, one or two
# fewer. The issue reports that these lengths are wrong for some inputs. Here the lengths
# go into F.ctc_loss, and the first batch fails with "RuntimeError: Expected input_lengths
# to have value at most 18, but got value 19 (while checking arguments for
# ctc_loss_allocate_outputs)".
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader, Dataset

config = {
    "n_mels": 40,
    "vocab": 12,          # 0 = blank
    "n_train": 192,
    "n_val": 48,
    "batch_size": 16,
    "d_model": 64,
    "epochs": 3,
    "lr": 2e-3,
    "seed": 5,
}
random.seed(config["seed"])
torch.manual_seed(config["seed"])
device = "cuda" if torch.cuda.is_available() else "cpu"


class SyntheticSpeech(Dataset):
    """Each token is a segment of 8-12 frames around a token-specific spectral template."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        templates = torch.randn(config["vocab"], config["n_mels"], generator=torch.Generator().manual_seed(0))
        self.items = []
        for _ in range(n):
            n_tok = int(torch.randint(3, 7, (1,), generator=g))
            tokens = torch.randint(1, config["vocab"], (n_tok,), generator=g)
            frames = []
            for tok in tokens:
                dur = int(torch.randint(8, 13, (1,), generator=g))
                frames.append(templates[tok].expand(dur, -1) + 0.5 * torch.randn(dur, config["n_mels"], generator=g))
                frames.append(0.3 * torch.randn(2, config["n_mels"], generator=g))
            self.items.append((torch.cat(frames), tokens))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def collate(batch):
    feats, tokens = zip(*batch)
    feat_lens = torch.tensor([f.shape[0] for f in feats])
    tok_lens = torch.tensor([t.shape[0] for t in tokens])
    return pad_sequence(feats, batch_first=True), feat_lens, torch.cat(tokens), tok_lens


class Conv2dSubsampling(nn.Module):
    def __init__(self, out_channels):
        super().__init__()
        self.sequential = nn.Sequential(
            nn.Conv2d(1, out_channels, kernel_size=3, stride=2), nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, stride=2), nn.ReLU(),
        )

    def forward(self, inputs, input_lengths):
        outputs = self.sequential(inputs.unsqueeze(1))          # (B, C, T', F')
        b, c, t, f = outputs.size()
        outputs = outputs.permute(0, 2, 1, 3).reshape(b, t, c * f)
        output_lengths = input_lengths >> 2
        return outputs, output_lengths


class TinyConformerCTC(nn.Module):
    def __init__(self, n_mels, vocab, d_model):
        super().__init__()
        self.subsampling = Conv2dSubsampling(16)
        sub_feat = 16 * (((n_mels - 1) // 2 - 1) // 2)
        self.input_proj = nn.Linear(sub_feat, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=128, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.classifier = nn.Linear(d_model, vocab)

    def forward(self, feats, feat_lens):
        x, lens = self.subsampling(feats, feat_lens)
        x = self.input_proj(x)
        pad_mask = torch.arange(x.size(1), device=x.device)[None, :] >= lens[:, None]
        x = self.encoder(x, src_key_padding_mask=pad_mask)
        return self.classifier(x).log_softmax(-1), lens


def greedy_decode(log_probs, lens):
    out = []
    for seq, n in zip(log_probs.argmax(-1), lens):
        prev, hyp = 0, []
        for s in seq[:n].tolist():
            if s != prev and s != 0:
                hyp.append(s)
            prev = s
        out.append(hyp)
    return out


def token_error_rate(model, loader):
    model.eval()
    errs = total = 0
    with torch.no_grad():
        for feats, feat_lens, tokens, tok_lens in loader:
            lp, lens = model(feats.to(device), feat_lens.to(device))
            refs = torch.split(tokens, tok_lens.tolist())
            for hyp, ref in zip(greedy_decode(lp, lens), refs):
                errs += abs(len(hyp) - len(ref)) + sum(h != r for h, r in zip(hyp, ref.tolist()))
                total += len(ref)
    return errs / total


train_loader = DataLoader(SyntheticSpeech(config["n_train"], 1), batch_size=config["batch_size"],
                          shuffle=True, collate_fn=collate)
val_loader = DataLoader(SyntheticSpeech(config["n_val"], 2), batch_size=config["batch_size"], collate_fn=collate)
model = TinyConformerCTC(config["n_mels"], config["vocab"], config["d_model"]).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=config["lr"])

for epoch in range(config["epochs"]):
    model.train()
    epoch_loss = 0.0
    for feats, feat_lens, tokens, tok_lens in train_loader:
        log_probs, out_lens = model(feats.to(device), feat_lens.to(device))
        loss = F.ctc_loss(log_probs.transpose(0, 1), tokens.to(device), out_lens, tok_lens.to(device),
                          blank=0, zero_infinity=True)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        epoch_loss += loss.item()
    print(f"epoch {epoch + 1}: ctc loss {epoch_loss / len(train_loader):.3f}  val TER {token_error_rate(model, val_loader):.3f}")
