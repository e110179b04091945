# Report: https://github.com/mosaicml/composer/issues/1384
# The reporter restarts a finished warmup+cosine run from its final checkpoint to train for more batches;
# the maintainer confirms that the whole state, scheduler included, is loaded, so the learning rate stays 0 throughout.
import io
import math

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

CFG = {
    "vocab": 200, "seq_len": 24, "n_classes": 4, "dim": 64,
    "lr": 3e-3, "weight_decay": 0.01, "batch_size": 32,
    "t_warmup": 10, "t_max": 40,          # in batches, like t_warmup=500ba / t_max=1000ba
    "first_run_batches": 60, "second_run_batches": 60,
    "load_weights_only": False,           # resume everything from the checkpoint
    "seed": 0,
}


class TextClassifier(nn.Module):
    def __init__(self, vocab, dim, n_classes):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.LayerNorm(dim))
        self.head = nn.Linear(dim, n_classes)

    def forward(self, tokens):
        return self.head(self.mlp(self.embed(tokens)))


def cosine_with_warmup(t_warmup, t_max, alpha_f=0.0):
    def factor(step):
        if step < t_warmup:
            return step / t_warmup
        frac = min(1.0, (step - t_warmup) / max(1, t_max - t_warmup))
        return alpha_f + (1 - alpha_f) * 0.5 * (1 + math.cos(math.pi * frac))
    return factor


def make_loader(cfg, seed):
    rng = np.random.RandomState(seed)
    tokens = rng.randint(0, cfg["vocab"], (512, cfg["seq_len"]))
    labels = tokens[:, :4].sum(1) % cfg["n_classes"]
    ds = TensorDataset(torch.from_numpy(tokens), torch.from_numpy(labels))
    return DataLoader(ds, batch_size=cfg["batch_size"], shuffle=True, drop_last=True)


def build(cfg, model):
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_with_warmup(cfg["t_warmup"], cfg["t_max"]))
    return optimizer, scheduler


def fit(model, optimizer, scheduler, loader, n_batches, tag):
    loss_fn = nn.CrossEntropyLoss()
    done = 0
    while done < n_batches:
        for tokens, labels in loader:
            loss = loss_fn(model(tokens), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            done += 1
            if done % 20 == 0:
                print(f"[{tag}] batch {done} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.2e}")
            if done >= n_batches:
                break


def save_checkpoint(model, optimizer, scheduler):
    buf = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict()}, buf)
    buf.seek(0)
    return buf


def load_checkpoint(buf, model, optimizer, scheduler, load_weights_only):
    state = torch.load(buf, weights_only=True)
    model.load_state_dict(state["model"])
    if not load_weights_only:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])


def first_run(cfg):
    net = TextClassifier(cfg["vocab"], cfg["dim"], cfg["n_classes"])
    optimizer, scheduler = build(cfg, net)
    fit(net, optimizer, scheduler, make_loader(cfg, 1), cfg["first_run_batches"], "run 1")
    return save_checkpoint(net, optimizer, scheduler)


if __name__ == "__main__":
    torch.manual_seed(CFG["seed"])
    ckpt = first_run(CFG)
    # second run: restart from the final checkpoint and train for more batches on new data
    model = TextClassifier(CFG["vocab"], CFG["dim"], CFG["n_classes"])
    optimizer, scheduler = build(CFG, model)
    load_checkpoint(ckpt, model, optimizer, scheduler, CFG["load_weights_only"])
    fit(model, optimizer, scheduler, make_loader(CFG, 2), CFG["second_run_batches"], "run 2")
