"""End-to-end ASR: a small Transformer encoder with CTC output, trained with the Noam warm-up
schedule (end2end-asr-pytorch layout: models/asr, utils/optimizer, trainer/asr/trainer)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


class NoamOpt(object):
    "Optim wrapper that implements rate."

    def __init__(self, optimizer, k, warmup, dim_model):
        self.optimizer = optimizer
        self._step = 0
        self.warmup = warmup
        self.k = k
        self.dim_model = dim_model
        self._rate = 0

    def step(self):
        "Update parameters and rate"
        self._step += 1
        rate = self.rate()
        for p in self.optimizer.param_groups:
            p["lr"] = rate
        self._rate = rate
        self.optimizer.step()

    def rate(self, step=None):
        if step is None:
            step = self._step
        return self.k * self.dim_model ** (-0.5) * min(step ** (-0.5), step * self.warmup ** (-1.5))

    def zero_grad(self):
        self.optimizer.zero_grad()


class Conv2dSubsample(nn.Module):
    def __init__(self, in_dim, dim):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 8, 3, 2, 1), nn.ReLU(), nn.Conv2d(8, 8, 3, 2, 1), nn.ReLU())
        self.out = nn.Linear(8 * ((in_dim + 3) // 4), dim)

    def forward(self, x):  # (B, T, F)
        x = self.conv(x.unsqueeze(1))
        b, c, t, f = x.size()
        return self.out(x.transpose(1, 2).reshape(b, t, c * f))


class Encoder(nn.Module):
    def __init__(self, num_layers, num_heads, dim_model, dim_inner, dim_input):
        super().__init__()
        self.input_linear = Conv2dSubsample(dim_input, dim_model)
        self.layer_norm_input = nn.LayerNorm(dim_model)
        layer = nn.TransformerEncoderLayer(dim_model, num_heads, dim_inner, dropout=0.0, batch_first=True)
        self.layers = nn.TransformerEncoder(layer, num_layers)

    def forward(self, padded_input):
        return self.layers(self.layer_norm_input(self.input_linear(padded_input)))


class Transformer(nn.Module):
    def __init__(self, encoder, vocab_size, dim_model):
        super().__init__()
        self.encoder = encoder
        self.ctc_out = nn.Linear(dim_model, vocab_size)

    def forward(self, padded_input):
        return self.ctc_out(self.encoder(padded_input)).log_softmax(-1)


class Trainer:
    def train(self, model, train_data, opt, num_epochs, max_norm=400):
        ctc = nn.CTCLoss(blank=0, zero_infinity=True)
        for epoch in range(num_epochs):
            model.train()
            total = 0.0
            for src, tgt, tgt_lens in train_data:
                src, tgt = src.to(device), tgt.to(device)
                log_probs = model(src)
                in_lens = torch.full((src.size(0),), log_probs.size(1), dtype=torch.long)
                loss = ctc(log_probs.transpose(0, 1), tgt, in_lens, tgt_lens)
                opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                opt.optimizer.step()
                total += loss.item()
            print(f"(Epoch {epoch + 1}) TRAIN LOSS:{total / len(train_data):.4f} LR:{opt._rate:.6f}")


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--num_layers", type=int, default=2)
    p.add_argument("--num_heads", type=int, default=4)
    p.add_argument("--dim_model", type=int, default=32)
    p.add_argument("--dim_inner", type=int, default=64)
    p.add_argument("--k_lr", type=float, default=1.0)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--epochs", type=int, default=3)
    return p.parse_args()


torch.manual_seed(0)
args = parse_args()
vocab_size = 12
encoder = Encoder(args.num_layers, args.num_heads, args.dim_model, args.dim_inner, dim_input=20)
model = Transformer(encoder, vocab_size, args.dim_model).to(device)
opt = NoamOpt(torch.optim.Adam(model.parameters(), lr=0, betas=(0.9, 0.98), eps=1e-9),
              args.k_lr, args.warmup, args.dim_model)

train_data = []
for _ in range(4):
    src = torch.randn(4, 40, 20)
    tgt = torch.randint(1, vocab_size, (4, 5))
    train_data.append((src, tgt, torch.full((4,), 5, dtype=torch.long)))

Trainer().train(model, train_data, opt, args.epochs)
