# CLIP-style contrastive pre-training of an image tower and a caption tower on synthetic concept
# data, open_clip style: both sides' embeddings are gathered from every rank, and this rank's own
# embeddings (which carry the graph) are put back into their slots before the global-batch logits
# are built. A learned temperature scales them. One-process gloo group on this machine.
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)
N_CONCEPTS, IMG_DIM, VOCAB, CAP_LEN, EMBED = 16, 40, 90, 5, 24


def gather_features(image_features, text_features):
    rank, world = dist.get_rank(), dist.get_world_size()
    all_image = [torch.zeros_like(image_features) for _ in range(world)]
    all_text = [torch.zeros_like(text_features) for _ in range(world)]
    dist.all_gather(all_image, image_features)
    dist.all_gather(all_text, text_features)
    all_image[rank] = image_features
    all_text[rank] = text_features
    return torch.cat(all_image), torch.cat(all_text)


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = nn.Sequential(nn.Linear(IMG_DIM, 64), nn.GELU(), nn.Linear(64, EMBED))
        self.token_embed = nn.EmbeddingBag(VOCAB, 48, mode="mean")
        self.text_proj = nn.Linear(48, EMBED)
        self.logit_scale = nn.Parameter(torch.tensor(2.66))

    def forward(self, images, captions):
        img = F.normalize(self.visual(images), dim=-1)
        txt = F.normalize(self.text_proj(self.token_embed(captions)), dim=-1)
        return img, txt, self.logit_scale.exp().clamp(max=100)


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)

concept_images = torch.randn(N_CONCEPTS, IMG_DIM)
concept_words = torch.randint(0, VOCAB, (N_CONCEPTS, 3))
model = CLIP()
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)

for step in range(60):
    concepts = torch.randint(0, N_CONCEPTS, (32,))
    images = concept_images[concepts] + 0.3 * torch.randn(32, IMG_DIM)
    captions = concept_words[concepts[:, None], torch.randint(0, 3, (32, CAP_LEN))]
    img, txt, scale = model(images, captions)
    all_img, all_txt = gather_features(img, txt)
    labels = torch.arange(32) + dist.get_rank() * 32
    logits_per_image = scale * img @ all_txt.t()
    logits_per_text = scale * txt @ all_img.t()
    loss = (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_text, labels)) / 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 20 == 0:
        print(f"step {step}: loss {loss.item():.4f}  scale {scale.item():.2f}")

dist.destroy_process_group()
