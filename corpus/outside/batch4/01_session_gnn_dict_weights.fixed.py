"""Session-based next-item recommendation with an item-graph convolution.

Item embeddings are propagated over the global item transition graph, sessions are
read out with soft attention and scored against all items.
"""
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

N_ITEMS = 60
EMB_SIZE = 32
N_LAYERS = 2
MAX_LEN = 6
BATCH = 32


def make_sessions(n_sessions, seed=0):
    rng = random.Random(seed)
    sessions = []
    for _ in range(n_sessions):
        start = rng.randrange(N_ITEMS)
        length = rng.randint(3, MAX_LEN + 1)
        sessions.append([(start + 3 * k + rng.randint(0, 1)) % N_ITEMS for k in range(length)])
    return sessions


def build_adjacency(sessions):
    adj = torch.eye(N_ITEMS)
    for s in sessions:
        for a, b in zip(s[:-1], s[1:]):
            adj[a, b] += 1.0
            adj[b, a] += 1.0
    return adj / adj.sum(1, keepdim=True)


def to_batch(sessions):
    items = torch.zeros(len(sessions), MAX_LEN, dtype=torch.long)
    mask = torch.zeros(len(sessions), MAX_LEN)
    target = torch.zeros(len(sessions), dtype=torch.long)
    for i, s in enumerate(sessions):
        prefix = s[:-1][-MAX_LEN:]
        items[i, :len(prefix)] = torch.tensor(prefix)
        mask[i, :len(prefix)] = 1.0
        target[i] = s[-1]
    return items, mask, target


class ItemConv(nn.Module):
    def __init__(self, layers, emb_size):
        super().__init__()
        self.layers = layers
        self.w_item = nn.ModuleDict()
        for i in range(layers):
            self.w_item['weight_item%d' % i] = nn.Linear(emb_size, emb_size, bias=False)

    def forward(self, adjacency, embedding):
        item_embeddings = embedding
        final = [item_embeddings]
        for i in range(self.layers):
            item_embeddings = self.w_item['weight_item%d' % i](item_embeddings)
            item_embeddings = torch.mm(adjacency, item_embeddings)
            final.append(F.normalize(item_embeddings, dim=-1, p=2))
        return torch.stack(final).sum(0) / (self.layers + 1)


class SessionRec(nn.Module):
    def __init__(self, n_items, emb_size, layers):
        super().__init__()
        self.embedding = nn.Embedding(n_items, emb_size)
        self.pos_embedding = nn.Embedding(MAX_LEN, emb_size)
        self.item_conv = ItemConv(layers, emb_size)
        self.w_1 = nn.Linear(2 * emb_size, emb_size)
        self.glu1 = nn.Linear(emb_size, emb_size)
        self.glu2 = nn.Linear(emb_size, emb_size, bias=False)
        self.w_2 = nn.Parameter(torch.Tensor(emb_size, 1))
        stdv = 1.0 / math.sqrt(emb_size)
        for weight in self.parameters():
            weight.data.uniform_(-stdv, stdv)

    def forward(self, adjacency, items, mask):
        item_emb = self.item_conv(adjacency, self.embedding.weight)
        seq_h = item_emb[items]                                    # B x L x E
        pos = self.pos_embedding.weight.unsqueeze(0).expand_as(seq_h)
        hs = (seq_h * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
        nh = torch.tanh(self.w_1(torch.cat([pos, seq_h], -1)))
        nh = torch.sigmoid(self.glu1(nh) + self.glu2(hs).unsqueeze(1))
        beta = torch.matmul(nh, self.w_2) * mask.unsqueeze(-1)
        sess = (beta * seq_h).sum(1)
        return sess @ item_emb.t()


def main():
    torch.manual_seed(0)
    sessions = make_sessions(400)
    adjacency = build_adjacency(sessions)
    model = SessionRec(N_ITEMS, EMB_SIZE, N_LAYERS)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-5)

    for step in range(30):
        batch = random.Random(step).sample(sessions, BATCH)
        items, mask, target = to_batch(batch)
        scores = model(adjacency, items, mask)
        loss = F.cross_entropy(scores, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            hit = (scores.topk(10, dim=1).indices == target[:, None]).any(1).float().mean()
            print(f"step {step:3d} loss {loss.item():.4f} hit@10 {hit:.3f}")


if __name__ == "__main__":
    main()
