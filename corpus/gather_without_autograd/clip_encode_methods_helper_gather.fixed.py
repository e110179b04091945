# CLIP-style contrastive pre-training of an image tower and a caption tower on synthetic concept
# data. The model encodes images and captions with separate methods; a helper gathers each side's
# embeddings from every rank so that each image sees every caption of the global batch as a
# negative, and a learned temperature scales the logits. Runs as a one-process gloo group here.
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)
N_CONCEPTS, IMG_DIM, VOCAB, CAP_LEN, EMBED = 16, 40, 90, 5, 24


def start_group():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)


def gather_all(features):
    gathered = [torch.zeros_like(features) for _ in range(dist.get_world_size())]
    dist.all_gather(gathered, features)
    gathered[dist.get_rank()] = features
    return torch.cat(gathered)


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.image_tower = nn.Sequential(nn.Linear(IMG_DIM, 64), nn.GELU(), nn.Linear(64, EMBED))
        self.token_embed = nn.EmbeddingBag(VOCAB, 48, mode="mean")
        self.text_proj = nn.Linear(48, EMBED)
        self.log_scale = nn.Parameter(torch.tensor(2.66))

    def encode_image(self, images):
        return F.normalize(self.image_tower(images), dim=-1)

    def encode_text(self, captions):
        return F.normalize(self.text_proj(self.token_embed(captions)), dim=-1)


def make_batch(concept_images, concept_words, size):
    concepts = torch.randint(0, N_CONCEPTS, (size,))
    images = concept_images[concepts] + 0.3 * torch.randn(size, IMG_DIM)
    captions = concept_words[concepts[:, None], torch.randint(0, 3, (size, CAP_LEN))]
    return images, captions


start_group()
concept_images = torch.randn(N_CONCEPTS, IMG_DIM)
concept_words = torch.randint(0, VOCAB, (N_CONCEPTS, 3))
model = CLIP()
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)

for step in range(60):
    images, captions = make_batch(concept_images, concept_words, 32)
    all_img = gather_all(model.encode_image(images))
    all_txt = gather_all(model.encode_text(captions))
    logits = model.log_scale.exp().clamp(max=100) * all_img @ all_txt.t()
    labels = torch.arange(logits.shape[0])
    loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step}: loss {loss.item():.4f}  scale {model.log_scale.exp().item():.2f}")

dist.destroy_process_group()
