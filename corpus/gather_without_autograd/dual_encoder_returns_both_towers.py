# A dual encoder (image and text towers) trained with a CLIP loss whose text negatives come from
# every rank: the model returns both embeddings and the training step gathers the text side.
import os
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DualEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.image_tower = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 16))
        self.text_tower = nn.Sequential(nn.Embedding(100, 32), nn.Flatten(), nn.Linear(32 * 6, 16))
        self.logit_scale = nn.Parameter(torch.tensor(2.0))

    def forward(self, images, tokens):
        img = F.normalize(self.image_tower(images), dim=-1)
        txt = F.normalize(self.text_tower(tokens), dim=-1)
        return img, txt


def main():
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(free_port()))
    dist.init_process_group("gloo", rank=0, world_size=1)
    torch.manual_seed(0)
    model = DualEncoder()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    for step in range(30):
        images = torch.randn(16, 32)
        tokens = torch.randint(0, 100, (16, 6))
        img, txt = model(images, tokens)
        gathered = [torch.zeros_like(txt) for _ in range(dist.get_world_size())]
        dist.all_gather(gathered, txt)
        all_txt = torch.cat(gathered)
        logits = model.logit_scale.exp() * img @ all_txt.t()
        labels = torch.arange(16) + 16 * dist.get_rank()
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
