# Trains a two-tower recommender on synthetic click logs with in-batch negatives: every clicked
# item of the global batch (all ranks) is a negative for the other users of this rank. Users
# prefer a few categories; history bags hold their earlier clicks. One-process gloo group here.
import socket

import torch
import torch.distributed as dist
import torch.nn.functional as F

from model import TwoTower

torch.manual_seed(8)
N_USERS, N_ITEMS, N_CATEGORIES, BATCH = 200, 300, 12, 64

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=1)
rank = dist.get_rank()

item_category = torch.randint(0, N_CATEGORIES, (N_ITEMS,))
user_likes = torch.randint(0, N_CATEGORIES, (N_USERS, 2))
items_by_category = [torch.nonzero(item_category == c).flatten() for c in range(N_CATEGORIES)]


def sample_clicks(users, k=1):
    liked = user_likes[users, torch.randint(0, 2, (len(users),))]
    return torch.stack([items_by_category[c][torch.randint(0, len(items_by_category[c]), (k,))] for c in liked.tolist()])


model = TwoTower(N_USERS, N_ITEMS, N_CATEGORIES)
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.05)

for step in range(40):
    users = torch.randint(0, N_USERS, (BATCH,))
    history = sample_clicks(users, k=5)
    clicked = sample_clicks(users).squeeze(1)
    logits = model.in_batch_logits(users, history, clicked, item_category[clicked])
    labels = torch.arange(BATCH) + rank * BATCH
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 10 == 0:
        print(f"step {step}: in-batch softmax loss {loss.item():.4f}")

dist.destroy_process_group()
