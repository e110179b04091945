# Report: https://github.com/MrChenFeng/Adaptive-Soft-Contrastive-Learning_ICPR2022/issues/2
# Switching the self-supervised trainer from --model moco to --model byol makes loss.backward()
# fail with "grad can be implicitly created only for scalar outputs".
"""Self-supervised pre-training (MoCo / BYOL style) on small synthetic image crops."""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="byol", choices=["byol", "moco"])
parser.add_argument("--epochs", type=int, default=6)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--lr", type=float, default=0.05)
parser.add_argument("--m", type=float, default=0.99, help="momentum of the key encoder")
parser.add_argument("--dim", type=int, default=64)
parser.add_argument("--mem-size", type=int, default=256)
args = parser.parse_args()

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class TwoCropsDataset(Dataset):
    """Random textured 3x24x24 images; returns two augmented views and a pseudo class id."""

    def __init__(self, n=384, size=24, n_classes=4):
        g = torch.Generator().manual_seed(1)
        self.targets = torch.randint(0, n_classes, (n,), generator=g)
        freqs = torch.linspace(1.0, 4.0, n_classes)
        xs = torch.linspace(0, 2 * math.pi, size)
        base = []
        for t in self.targets.tolist():
            f = freqs[t]
            pattern = torch.sin(f * xs)[None, :] * torch.cos(f * xs)[:, None]
            img = pattern.expand(3, size, size) + 0.3 * torch.randn(3, size, size, generator=g)
            base.append(img)
        self.images = torch.stack(base)

    def __len__(self):
        return len(self.images)

    def augment(self, img):
        if torch.rand(1).item() < 0.5:
            img = img.flip(-1)
        shift = torch.randint(-3, 4, (2,))
        img = torch.roll(img, shifts=(int(shift[0]), int(shift[1])), dims=(1, 2))
        return img * (0.8 + 0.4 * torch.rand(1)) + 0.1 * torch.randn_like(img)

    def __getitem__(self, idx):
        img = self.images[idx]
        return self.augment(img), self.augment(img), self.targets[idx]


class ModelBase(nn.Module):
    def __init__(self, projection_dim=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.fc = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, projection_dim))

    def forward(self, x):
        return self.fc(self.net(x))


class ASCL(nn.Module):
    def __init__(self, model="moco", dim=64, mem_size=256, m=0.99, T=0.1):
        super().__init__()
        self.model, self.m, self.T, self.K = model, m, T, mem_size
        self.encoder_q = ModelBase(dim)
        self.encoder_k = ModelBase(dim)
        if self.model == "byol":
            self.predictor = nn.Sequential(nn.Linear(dim, 128), nn.BatchNorm1d(128), nn.ReLU(),
                                           nn.Linear(128, dim))
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data.copy_(param_q.data)
            param_k.requires_grad = False
        self.register_buffer("queue", F.normalize(torch.randn(dim, mem_size), dim=0))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))

    @torch.no_grad()
    def _momentum_update_key_encoder(self):
        for param_q, param_k in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            param_k.data = param_k.data * self.m + param_q.data * (1.0 - self.m)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys):
        batch_size = keys.shape[0]
        ptr = int(self.queue_ptr)
        self.queue[:, ptr:ptr + batch_size] = keys.t()
        self.queue_ptr[0] = (ptr + batch_size) % self.K

    def _forward_moco(self, im_q, im_k):
        q = F.normalize(self.encoder_q(im_q), dim=1)
        with torch.no_grad():
            self._momentum_update_key_encoder()
            k = F.normalize(self.encoder_k(im_k), dim=1)
        l_pos = torch.einsum("nc,nc->n", [q, k]).unsqueeze(-1)
        l_neg = torch.einsum("nc,ck->nk", [q, self.queue.clone().detach()])
        logits = torch.cat([l_pos, l_neg], dim=1) / self.T
        labels = torch.zeros(logits.shape[0], dtype=torch.long, device=logits.device)
        loss = F.cross_entropy(logits, labels)
        self._dequeue_and_enqueue(k)
        return loss

    def _forward_byol(self, im_q, im_k):
        with torch.no_grad():
            self._momentum_update_key_encoder()
        q = self.encoder_q(im_q)
        k = self.encoder_k(im_k)
        hq = F.normalize(self.predictor(q), dim=-1, p=2)
        k = F.normalize(k, dim=-1, p=2)
        loss = 2 - 2 * (hq * k.detach()).sum(dim=-1)
        self._dequeue_and_enqueue(k.detach())
        return loss

    def forward(self, im_q, im_k):
        if self.model == "byol":
            return self._forward_byol(im_q, im_k)
        if self.model == "moco":
            return self._forward_moco(im_q, im_k)
        raise ValueError(f"Wrong model! Should be moco or byol rather than {self.model}!")


class AverageMeter:
    def __init__(self, name):
        self.name, self.sum, self.count = name, 0.0, 0

    def update(self, val, n=1):
        self.sum += float(val) * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)


def train(net, loader, optimizer, epoch):
    net.train()
    total_loss = AverageMeter("loss")
    for im_1, im_2, _ in loader:
        im_1, im_2 = im_1.to(device), im_2.to(device)
        loss = net(im_1, im_2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss.update(loss.detach().mean().item(), im_1.size(0))
    return total_loss.avg


@torch.no_grad()
def knn_accuracy(encoder, loader):
    encoder.eval()
    feats, labels = [], []
    for im, _, y in loader:
        feats.append(F.normalize(encoder(im.to(device)), dim=1))
        labels.append(y.to(device))
    feats, labels = torch.cat(feats), torch.cat(labels)
    sim = feats @ feats.t()
    sim.fill_diagonal_(-1.0)
    pred = labels[sim.argmax(dim=1)]
    return (pred == labels).float().mean().item()


dataset = TwoCropsDataset()
train_loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, drop_last=True)
eval_loader = DataLoader(dataset, batch_size=128, shuffle=False)

model = ASCL(model=args.model, dim=args.dim, mem_size=args.mem_size, m=args.m).to(device)
optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=args.lr,
                            momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)

start = time.time()
for epoch in range(args.epochs):
    train_loss = train(model, train_loader, optimizer, epoch)
    scheduler.step()
    acc = knn_accuracy(model.encoder_q, eval_loader)
    print(f"Epoch [{epoch}/{args.epochs}] loss {train_loss:.4f} knn-acc {acc:.3f} "
          f"lr {optimizer.param_groups[0]['lr']:.4f} ({time.time() - start:.1f}s)")
