# Two-tower retrieval model for the recommender: a user tower over the user id and the bag of
# recently clicked items, an item tower over the item id and its category, and the in-batch
# scores of every user of this rank against the items of every rank's batch.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import distributed as torch_dist


class UserTower(nn.Module):
    def __init__(self, n_users, n_items, dim):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.history = nn.EmbeddingBag(n_items, dim, mode="mean")
        self.mlp = nn.Sequential(nn.Linear(2 * dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, users, history):
        return F.normalize(self.mlp(torch.cat([self.user(users), self.history(history)], -1)), dim=-1)


class ItemTower(nn.Module):
    def __init__(self, n_items, n_categories, dim):
        super().__init__()
        self.item = nn.Embedding(n_items, dim)
        self.category = nn.Embedding(n_categories, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, items, categories):
        return F.normalize(self.mlp(self.item(items) + self.category(categories)), dim=-1)


class TwoTower(nn.Module):
    def __init__(self, n_users, n_items, n_categories, dim=32, temperature=0.05):
        super().__init__()
        self.users = UserTower(n_users, n_items, dim)
        self.items = ItemTower(n_items, n_categories, dim)
        self.temperature = temperature

    def in_batch_logits(self, users, history, items, categories):
        u = self.users(users, history)
        v = self.items(items, categories)
        all_items = [torch.zeros_like(v) for _ in range(torch_dist.get_world_size())]
        torch_dist.all_gather(all_items, v)
        all_items[torch_dist.get_rank()] = v
        return u @ torch.cat(all_items).t() / self.temperature
