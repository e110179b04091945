"""Towers of the shop's two-tower retrieval model: the item tower embeds an item from its
categorical attributes (item id, brand, category, price bucket), one named table per attribute;
the user tower embeds the user id. Both return unit vectors compared by dot product."""
from collections import OrderedDict

import torch
from torch import nn
from torch.nn import functional as F


class ItemTower(nn.Module):
    def __init__(self, n_items, n_brands, n_categories, n_price_buckets, dim):
        super().__init__()
        self.attributes = nn.Sequential(OrderedDict([
            ("item", nn.Embedding(n_items, dim)),
            ("brand", nn.Embedding(n_brands, dim)),
            ("category", nn.Embedding(n_categories, dim)),
            ("price", nn.Embedding(n_price_buckets, dim)),
        ]))
        self.project = nn.Linear(dim, dim)

    def forward(self, attributes):
        vectors = torch.stack([table(attributes[..., i]) for i, table in enumerate(self.attributes)], dim=-2)
        return F.normalize(self.project(torch.relu(vectors.sum(dim=1))), dim=-1)


class UserTower(nn.Module):
    def __init__(self, n_users, dim):
        super().__init__()
        self.users = nn.Embedding(n_users, dim)
        self.project = nn.Linear(dim, dim)

    def forward(self, user):
        return F.normalize(self.project(self.users(user)), dim=-1)
