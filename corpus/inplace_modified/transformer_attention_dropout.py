import argparse

import torch
from torch import nn
from torch.nn import functional as F


class SelfAttention(nn.Module):
    def __init__(self, dim, heads=2, p=0.1):
        super().__init__()
        self.heads, self.p = heads, p
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = (q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5
        attn = attn.softmax(dim=-1)
        attn = F.dropout(attn, p=self.p, training=self.training, inplace=True)
        out = (attn @ v).transpose(1, 2).reshape(b, n, d)
        return self.proj(out)


class TinyEncoder(nn.Module):
    def __init__(self, dim=16, classes=4):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = x + self.attn(self.norm(x))
        return self.head(x.mean(dim=1))


def train(args):
    torch.manual_seed(args.seed)
    model = TinyEncoder()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    seqs, labels = torch.randn(64, 10, 16), torch.randint(0, 4, (64,))
    model.train()
    for step in range(args.steps):
        idx = torch.randint(0, 64, (16,))
        loss = F.cross_entropy(model(seqs[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        print(f"step {step} loss {loss.item():.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    train(parser.parse_args())
