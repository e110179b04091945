# A DeiT-style classifier with a distillation-token head, trained by a Trainer class. The head's
# logits join the loss only once a teacher is attached, a few steps in; the Trainer wraps the
# model with find_unused_parameters=False, so DDP stops the second step, before the teacher comes.
import socket

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TinyViT(nn.Module):
    def __init__(self, dim=16, classes=5):
        super().__init__()
        self.embed = nn.Linear(12, dim)
        self.mixer = nn.TransformerEncoderLayer(dim, 2, 32, batch_first=True)
        self.head = nn.Linear(dim, classes)
        self.head_dist = nn.Linear(dim, classes)

    def forward(self, tokens):
        h = self.mixer(self.embed(tokens))
        cls_logits = self.head(h[:, 0])
        dist_logits = self.head_dist(h[:, 1])
        return cls_logits, dist_logits


class Trainer:
    def __init__(self, model, teacher=None):
        self.model = DistributedDataParallel(model, find_unused_parameters=False)
        self.teacher = teacher
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=1e-3)

    def train_step(self, tokens, labels):
        cls_logits, dist_logits = self.model(tokens)
        loss = F.cross_entropy(cls_logits, labels)
        if self.teacher is not None:
            with torch.no_grad():
                soft = self.teacher(tokens).softmax(-1)
            loss = loss + F.kl_div(dist_logits.log_softmax(-1), soft, reduction="batchmean")
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


if __name__ == "__main__":
    torch.manual_seed(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0, world_size=1)
    trainer = Trainer(TinyViT())
    teacher = nn.Sequential(nn.Flatten(), nn.Linear(6 * 12, 5)).eval()
    for step in range(6):
        if step == 3:
            trainer.teacher = teacher
        trainer.train_step(torch.randn(4, 6, 12), torch.randint(0, 5, (4,)))
    dist.destroy_process_group()
