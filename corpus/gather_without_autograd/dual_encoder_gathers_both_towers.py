# A dual encoder trained with a symmetric CLIP loss over the global batch: the training step
# gathers both the image and the text embeddings that the model returns.
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
        world = dist.get_world_size()
        img_list = [torch.zeros_like(img) for _ in range(world)]
        txt_list = [torch.zeros_like(txt) for _ in range(world)]
        dist.all_gather(img_list, img)
        dist.all_gather(txt_list, txt)
        logits = model.logit_scale.exp() * torch.cat(img_list) @ torch.cat(txt_list).t()
        labels = torch.arange(16 * world)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
