# Masked-token pretraining of a small transformer on weather-station records, with AMP.
#
# Reproduces: https://github.com/ecmwf/WeatherGenerator/issues/250
# ("Empty targets leading to error: AssertionError: No inf checks were recorded for this optimizer")
#
# What goes wrong (in my words): the masking rate is sampled per batch from a wide, clipped
# normal distribution, so now and then it is so small that int(rate * n_tokens) is 0 and no
# token of the batch is masked. The loss helper then has no targets and returns a fresh
# torch.tensor(0.0, requires_grad=True) so that backward() does not complain. That tensor is
# not connected to the model, so no parameter receives a gradient, and GradScaler.step()
# finds no inf checks for the optimizer and aborts training with an AssertionError.
import argparse
import math
import random

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

CONFIG = {
    "n_stations": 512,
    "n_tokens": 24,          # hourly records per sample
    "n_features": 8,         # t2m, u10, v10, msl, rh, tp, ...
    "d_model": 32,
    "n_heads": 4,
    "n_layers": 2,
    "masking_rate": 0.6,
    "masking_rate_sampling": True,
    "lr": 3e-4,
    "clip": 1.0,
}


class StationRecords(Dataset):
    def __init__(self, n, n_tokens, n_features, seed=0):
        g = torch.Generator().manual_seed(seed)
        t = torch.linspace(0, 2 * math.pi, n_tokens)
        phase = torch.rand(n, 1, n_features, generator=g) * 2 * math.pi
        amp = 0.5 + torch.rand(n, 1, n_features, generator=g)
        self.x = amp * torch.sin(t[None, :, None] + phase) + 0.1 * torch.randn(n, n_tokens, n_features, generator=g)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


class MaskingCollator:
    """Samples one masking rate per batch (as in the MTM tokenizer) and builds the token mask."""

    def __init__(self, rate, sample_rate, seed=0):
        self.rate, self.sample_rate = rate, sample_rate
        self.rng = random.Random(seed)

    def __call__(self, batch):
        x = torch.stack(batch)
        rate = self.rate
        if self.sample_rate:
            rate = min(max(abs(self.rng.gauss(self.rate, 1.0 / 2.5 * math.pi)), 0.0), 1.0)
        n_masked = int(rate * x.shape[1])
        mask = torch.zeros(x.shape[0], x.shape[1], dtype=torch.bool)
        for b in range(x.shape[0]):
            idx = torch.randperm(x.shape[1])[:n_masked]
            mask[b, idx] = True
        return x, mask, rate


class MaskedTokenModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["d_model"]
        self.embed = nn.Linear(cfg["n_features"], d)
        self.pos = nn.Parameter(torch.randn(1, cfg["n_tokens"], d) * 0.02)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, d))
        layer = nn.TransformerEncoderLayer(d, cfg["n_heads"], 2 * d, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg["n_layers"], enable_nested_tensor=False)
        self.head = nn.Linear(d, cfg["n_features"])

    def forward(self, x, mask):
        h = self.embed(x)
        h = torch.where(mask[..., None], self.mask_token.expand_as(h), h) + self.pos
        return self.head(self.encoder(h))


def masked_mse(pred, target, mask, device):
    if mask.sum() == 0:
        # nothing to predict in this batch; keep backward() happy
        return torch.tensor(0.0, device=device, requires_grad=True)
    return ((pred.float() - target) ** 2)[mask].mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--amp", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    amp_dtype = torch.float16 if device.type == "cuda" else torch.bfloat16

    data = StationRecords(CONFIG["n_stations"], CONFIG["n_tokens"], CONFIG["n_features"], seed=args.seed)
    loader = DataLoader(data, batch_size=args.batch_size, shuffle=True,
                        collate_fn=MaskingCollator(CONFIG["masking_rate"], CONFIG["masking_rate_sampling"], args.seed))

    model = MaskedTokenModel(CONFIG).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CONFIG["lr"], weight_decay=0.01)
    scaler = torch.amp.GradScaler(device.type, enabled=bool(args.amp))

    step = 0
    for epoch in range(args.epochs):
        model.train()
        running, seen = 0.0, 0
        for x, mask, rate in loader:
            x, mask = x.to(device), mask.to(device)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=bool(args.amp)):
                pred = model(x, mask)
            loss = masked_mse(pred, x, mask, device)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), CONFIG["clip"])
            scaler.step(optimizer)
            scaler.update()
            running += loss.item()
            seen += 1
            step += 1
            if step % 25 == 0:
                print(f"step {step:4d}  rate {rate:.3f}  loss {loss.item():.4f}")
        print(f"epoch {epoch}  mean masked mse {running / max(seen, 1):.4f}")


if __name__ == "__main__":
    main()
