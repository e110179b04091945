# ALBERT-style masked-LM pretraining: a single transformer layer's weights are shared across all
# depths. Activation checkpointing is on, and the model is wrapped in DistributedDataParallel.
# The script runs one process here with gloo; launch it with torchrun to use more.
#
# Reproduces: https://github.com/allenai/longformer/issues/63
#
# Each depth calls torch.utils.checkpoint.checkpoint(self.shared_layer, ..., use_reentrant=True).
# Reentrant checkpointing runs a separate backward pass for every checkpointed call. Because the
# same layer is reused, the same parameters get their gradient hooks fired once per depth in one
# iteration. DDP, built with find_unused_parameters=True because the pooler is not used by the
# MLM loss, refuses this on the first backward:
# "RuntimeError: Expected to mark a variable ready only once ... Parameter at index ... has been
# marked as ready twice". Training never gets to its first step.
import argparse
import os
import tempfile

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.checkpoint import checkpoint
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {
    "vocab": 200, "seq_len": 24, "emb_dim": 32, "hidden": 64, "heads": 4,
    "n_layers": 4, "mask_prob": 0.15, "batch_size": 32, "lr": 1e-3, "epochs": 3,
    "n_docs": 640, "gradient_checkpointing": True,
}
MASK_ID, PAD_ID = 1, 0


class SharedLayerEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg["vocab"], cfg["emb_dim"], padding_idx=PAD_ID)
        self.pos_emb = nn.Embedding(cfg["seq_len"], cfg["emb_dim"])
        self.emb_proj = nn.Linear(cfg["emb_dim"], cfg["hidden"])   # factorized embedding
        self.shared_layer = nn.TransformerEncoderLayer(cfg["hidden"], cfg["heads"], 2 * cfg["hidden"],
                                                       dropout=0.1, batch_first=True)
        self.mlm_head = nn.Sequential(nn.Linear(cfg["hidden"], cfg["emb_dim"]), nn.GELU(),
                                      nn.LayerNorm(cfg["emb_dim"]), nn.Linear(cfg["emb_dim"], cfg["vocab"]))
        self.pooler = nn.Linear(cfg["hidden"], cfg["hidden"])       # used by fine-tuning, not by MLM

    def encode(self, ids):
        pos = torch.arange(ids.shape[1], device=ids.device)
        h = self.emb_proj(self.tok_emb(ids) + self.pos_emb(pos))
        for _ in range(self.cfg["n_layers"]):
            if self.cfg["gradient_checkpointing"] and self.training:
                h = checkpoint(self.shared_layer, h, use_reentrant=False)   # one backward pass: DDP sees each param once
            else:
                h = self.shared_layer(h)
        return h

    def forward(self, ids):
        return self.mlm_head(self.encode(ids))


def mask_tokens(ids, prob, generator):
    labels = ids.clone()
    chosen = (torch.rand(ids.shape, generator=generator) < prob) & (ids != PAD_ID)
    labels[~chosen] = -100
    inputs = ids.clone()
    inputs[chosen] = MASK_ID
    return inputs, labels


def make_corpus(cfg, seed=0):
    g = torch.Generator().manual_seed(seed)
    base = torch.randint(2, cfg["vocab"], (cfg["n_docs"], 1), generator=g)
    steps = torch.randint(1, 4, (cfg["n_docs"], cfg["seq_len"]), generator=g).cumsum(1)
    return TensorDataset((base + steps) % (cfg["vocab"] - 2) + 2)


def setup_dist(tmpdir):
    if "RANK" in os.environ:              # launched with torchrun
        dist.init_process_group("gloo")
    else:
        dist.init_process_group("gloo", init_method=f"file://{tmpdir}/ddp_init", rank=0, world_size=1)
    return dist.get_rank()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    args = parser.parse_args()
    tmpdir = tempfile.mkdtemp()
    rank = setup_dist(tmpdir)
    torch.manual_seed(0)

    encoder = SharedLayerEncoder(CONFIG)
    model = DDP(encoder, find_unused_parameters=True)   # pooler gets no grad during MLM
    optimizer = torch.optim.AdamW(model.parameters(), lr=CONFIG["lr"], weight_decay=0.01)
    loader = DataLoader(make_corpus(CONFIG), batch_size=CONFIG["batch_size"], shuffle=True)
    g = torch.Generator().manual_seed(1 + rank)

    try:
        for epoch in range(args.epochs):
            model.train()
            total, n = 0.0, 0
            for (ids,) in loader:
                inputs, labels = mask_tokens(ids, CONFIG["mask_prob"], g)
                logits = model(inputs)
                loss = F.cross_entropy(logits.view(-1, CONFIG["vocab"]), labels.view(-1), ignore_index=-100)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item()
                n += 1
            if rank == 0:
                print(f"epoch {epoch}: mlm loss {total / n:.4f}")
    finally:
        dist.destroy_process_group()
    return encoder


if __name__ == "__main__":
    encoder = main()
