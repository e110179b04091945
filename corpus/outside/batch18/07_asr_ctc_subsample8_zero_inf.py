# Hybrid CTC/attention ASR (WeNet-style: conv2d subsampling front-end,
# transformer encoder, CTC head + attention decoder) on synthetic fbank features.
#
# Reproduces: https://github.com/wenet-e2e/wenet/pull/2299
#   The CTC loss is built with zero_infinity=True "to ignore NaN/inf ctc losses
#   instead of cleaning the data".  The config switches the front-end to the 8x
#   conv2d subsampling, which leaves fewer encoder frames than there are tokens in
#   every transcript.  Every utterance then has an infinite CTC loss, which
#   zero_infinity silently replaces by 0 together with its gradient: the CTC head
#   gets exactly zero gradient and never changes, while the encoder and the
#   attention decoder keep training through the attention loss.
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "input_layer": "conv2d8",  # conv2d (4x), conv2d6, conv2d8
    "feat_dim": 40, "frames": 80, "vocab": 20, "min_len": 10, "max_len": 14,
    "d_model": 64, "heads": 4, "enc_layers": 2, "dec_layers": 1,
    "ctc_weight": 0.3, "n_utts": 256, "seed": 0,
}
BLANK, SOS_EOS, IGNORE = 0, 1, -1


class Conv2dSubsampling(nn.Module):
    def __init__(self, idim, odim, rate):
        super().__init__()
        strides = {4: [2, 2], 6: [2, 3], 8: [2, 2, 2]}[rate]
        layers, ch, f = [], 1, idim
        for s in strides:
            layers += [nn.Conv2d(ch, odim, 3, s), nn.ReLU()]
            ch, f = odim, (f - 3) // s + 1
        self.conv = nn.Sequential(*layers)
        self.strides = strides
        self.out = nn.Linear(odim * f, odim)

    def forward(self, x, lengths):  # x: [B, T, F]
        x = self.conv(x.unsqueeze(1))
        b, c, t, f = x.shape
        for s in self.strides:
            lengths = (lengths - 3) // s + 1
        return self.out(x.transpose(1, 2).reshape(b, t, c * f)), lengths


class ASRModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        rate = {"conv2d": 4, "conv2d6": 6, "conv2d8": 8}[cfg["input_layer"]]
        d = cfg["d_model"]
        self.embed = Conv2dSubsampling(cfg["feat_dim"], d, rate)
        self.encoder = nn.TransformerEncoder(
            nn.TransformerEncoderLayer(d, cfg["heads"], 2 * d, dropout=0.0, batch_first=True), cfg["enc_layers"])
        self.ctc = nn.Linear(d, cfg["vocab"])
        self.tok_embed = nn.Embedding(cfg["vocab"], d)
        self.decoder = nn.TransformerDecoder(
            nn.TransformerDecoderLayer(d, cfg["heads"], 2 * d, dropout=0.0, batch_first=True), cfg["dec_layers"])
        self.out = nn.Linear(d, cfg["vocab"])
        self.ctc_loss = nn.CTCLoss(blank=BLANK, reduction="sum", zero_infinity=True)
        self.ctc_weight = cfg["ctc_weight"]

    def forward(self, feats, feat_lens, ys, y_lens):
        x, enc_lens = self.embed(feats, feat_lens)
        pad = torch.arange(x.shape[1], device=x.device)[None] >= enc_lens[:, None]
        enc = self.encoder(x, src_key_padding_mask=pad)
        # CTC branch
        log_probs = self.ctc(enc).log_softmax(-1).transpose(0, 1)
        loss_ctc = self.ctc_loss(log_probs, ys.clamp(min=0), enc_lens, y_lens) / ys.shape[0]
        # attention branch (teacher forcing)
        ys_in = F.pad(ys.clamp(min=0) * (ys >= 0) + SOS_EOS * (ys < 0), (1, 0), value=SOS_EOS)
        ys_out = F.pad(ys, (0, 1), value=IGNORE)
        ys_out[torch.arange(ys.shape[0]), y_lens] = SOS_EOS
        causal = nn.Transformer.generate_square_subsequent_mask(ys_in.shape[1])
        dec = self.decoder(self.tok_embed(ys_in), enc, tgt_mask=causal, memory_key_padding_mask=pad)
        loss_att = F.cross_entropy(self.out(dec).flatten(0, 1), ys_out.flatten(), ignore_index=IGNORE)
        loss = self.ctc_weight * loss_ctc + (1 - self.ctc_weight) * loss_att
        return loss, loss_ctc, loss_att


def synthetic_corpus(cfg, g):
    n, T, V = cfg["n_utts"], cfg["frames"], cfg["vocab"]
    prototypes = torch.randn(V, cfg["feat_dim"], generator=g)
    feats, ys, y_lens = [], torch.full((n, cfg["max_len"]), IGNORE), []
    for i in range(n):
        L = int(torch.randint(cfg["min_len"], cfg["max_len"] + 1, (1,), generator=g))
        tokens = [int(torch.randint(2, V, (1,), generator=g))]
        while len(tokens) < L:  # no immediate repeats
            t = int(torch.randint(2, V, (1,), generator=g))
            if t != tokens[-1]:
                tokens.append(t)
        frame_tok = torch.tensor(tokens).repeat_interleave(T // L + 1)[:T]
        feats.append(prototypes[frame_tok] + 0.3 * torch.randn(T, cfg["feat_dim"], generator=g))
        ys[i, :L] = torch.tensor(tokens)
        y_lens.append(L)
    return torch.stack(feats), torch.full((n,), T), ys, torch.tensor(y_lens)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch_size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    cfg = dict(CONFIG)
    torch.manual_seed(cfg["seed"])
    g = torch.Generator().manual_seed(cfg["seed"])

    feats, feat_lens, ys, y_lens = synthetic_corpus(cfg, g)
    loader = DataLoader(TensorDataset(feats, feat_lens, ys, y_lens), batch_size=args.batch_size, shuffle=True)
    model = ASRModel(cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    print(f"input_layer={cfg['input_layer']} params={sum(p.numel() for p in model.parameters())}")

    for epoch in range(args.epochs):
        tot = ctc_tot = att_tot = 0.0
        for f, fl, y, yl in loader:
            loss, l_ctc, l_att = model(f, fl, y, yl)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            tot, ctc_tot, att_tot = tot + loss.item(), ctc_tot + l_ctc.item(), att_tot + l_att.item()
        n = len(loader)
        print(f"epoch {epoch}: loss {tot / n:.3f}  loss_ctc {ctc_tot / n:.3f}  loss_att {att_tot / n:.3f}")
