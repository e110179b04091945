# CLIP-style image/text contrastive pre-training, written for torchrun (runs here as world size 1).
#
# Report: https://github.com/facebookresearch/SLIP/issues/31
# ("The CLIP loss implementation seems not completely right ... one should gather with gradient.")
#
# Fault (own words): to give every image the text embeddings of all ranks as negatives, the loss
# gathers the text embeddings with torch.distributed.all_gather, which copies them into fresh
# tensors with no autograd history, and builds both directions of the symmetric loss from that one
# image x gathered-text logit matrix (the text->image direction is its transpose). Nothing in the
# loss is connected to the text tower's own output, so the text encoder never gets a gradient; the
# image tower and the temperature keep training and the loss still goes down.
import math
import os
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

config = {
    "n_concepts": 24, "img_dim": 48, "vocab": 120, "caption_len": 6, "embed_dim": 32,
    "batch_size": 64, "epochs": 6, "lr": 2e-3, "init_temp": 0.07, "seed": 3,
}
torch.manual_seed(config["seed"])


def init_distributed():
    world_size = int(os.environ.get("WORLD_SIZE", 1))
    rank = int(os.environ.get("RANK", 0))
    if "MASTER_PORT" in os.environ:
        url = f"tcp://{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}"
    else:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            url = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    dist.init_process_group("gloo", init_method=url, rank=rank, world_size=world_size)
    return rank, world_size


class PairedConcepts(Dataset):
    """Image feature vectors and captions that both describe one of n concepts."""

    def __init__(self, n, gen):
        c = config
        self.concept = torch.randint(0, c["n_concepts"], (n,), generator=gen)
        protos = torch.randn(c["n_concepts"], c["img_dim"], generator=torch.Generator().manual_seed(0))
        self.images = protos[self.concept] + 0.6 * torch.randn(n, c["img_dim"], generator=gen)
        words = torch.randint(0, c["vocab"], (c["n_concepts"], c["caption_len"]), generator=torch.Generator().manual_seed(1))
        noise = torch.randint(0, c["vocab"], (n, c["caption_len"]), generator=gen)
        keep = torch.rand(n, c["caption_len"], generator=gen) < 0.75
        self.captions = torch.where(keep, words[self.concept], noise)

    def __len__(self):
        return len(self.concept)

    def __getitem__(self, i):
        return self.images[i], self.captions[i]


class TextEncoder(nn.Module):
    def __init__(self, vocab, width, out_dim):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.LayerNorm(width))
        self.proj = nn.Linear(width, out_dim, bias=False)

    def forward(self, ids):
        return self.proj(self.mlp(self.tok(ids)).mean(1))


class ImageEncoder(nn.Module):
    def __init__(self, in_dim, width, out_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_dim, width), nn.GELU(), nn.Linear(width, width), nn.GELU())
        self.proj = nn.Linear(width, out_dim, bias=False)

    def forward(self, x):
        return self.proj(self.net(x))


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = ImageEncoder(config["img_dim"], 96, config["embed_dim"])
        self.textual = TextEncoder(config["vocab"], 64, config["embed_dim"])
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / config["init_temp"])))

    def forward(self, images, captions):
        return F.normalize(self.visual(images), dim=-1), F.normalize(self.textual(captions), dim=-1)


def gather_features(features, rank, world_size):
    gathered = [torch.zeros_like(features) for _ in range(world_size)]
    dist.all_gather(gathered, features)
    return torch.cat(gathered, dim=0)


def clip_loss(img, txt, logit_scale, rank, world_size):
    all_txt = gather_features(txt, rank, world_size)
    logits_per_image = logit_scale.exp() * img @ all_txt.t()
    labels = torch.arange(img.shape[0]) + rank * img.shape[0]
    # text -> image direction: the transpose restricted to this rank's columns
    logits_per_text = logits_per_image.t()[rank * img.shape[0]:(rank + 1) * img.shape[0]]
    return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, torch.arange(img.shape[0]))) / 2


@torch.no_grad()
def retrieval_accuracy(model, loader):
    model.eval()
    correct = total = 0
    for images, captions in loader:
        img, txt = model(images, captions)
        correct += ((img @ txt.t()).argmax(1) == torch.arange(len(img))).sum().item()
        total += len(img)
    model.train()
    return correct / total


rank, world_size = init_distributed()
gen = torch.Generator().manual_seed(config["seed"] + rank)
train_loader = DataLoader(PairedConcepts(2048, gen), batch_size=config["batch_size"], shuffle=True, drop_last=True)
val_loader = DataLoader(PairedConcepts(512, gen), batch_size=128)

model = CLIP()
if world_size > 1:
    model = nn.parallel.DistributedDataParallel(model)
raw = getattr(model, "module", model)
optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=0.0)

print(f"rank {rank}/{world_size}: image->text R@1 before: {retrieval_accuracy(model, val_loader):.3f}")
for epoch in range(config["epochs"]):
    total = 0.0
    for images, captions in train_loader:
        img, txt = model(images, captions)
        loss = clip_loss(img, txt, raw.logit_scale, rank, world_size)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            raw.logit_scale.clamp_(0, math.log(100))
        total += loss.item()
    print(f"epoch {epoch}: loss {total / len(train_loader):.4f}  temp {raw.logit_scale.exp().item():.1f}  "
          f"R@1 {retrieval_accuracy(model, val_loader):.3f}")

dist.destroy_process_group()
