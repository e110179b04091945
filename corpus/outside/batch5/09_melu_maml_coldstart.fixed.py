"""MeLU-style meta-learned user preference estimator (MAML) for cold-start rating
prediction, on synthetic users/items.  Only the decision layers are adapted per user
(local update); embeddings and decision layers are meta-updated (global update)."""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

CFG = dict(n_gender=2, n_age=7, n_occ=21, n_genre=25, n_director=50, emb=16,
           fc1=64, fc2=64, local_lr=5e-3, global_lr=5e-4, num_local_update=2,
           tasks_per_batch=8, n_batches=6, support=12, query=8)


class UserItemEmbedding(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gender = nn.Embedding(c["n_gender"], c["emb"])
        self.age = nn.Embedding(c["n_age"], c["emb"])
        self.occ = nn.Embedding(c["n_occ"], c["emb"])
        self.genre = nn.Embedding(c["n_genre"], c["emb"])
        self.director = nn.Embedding(c["n_director"], c["emb"])

    def forward(self, x):
        user = torch.cat([self.gender(x[:, 0]), self.age(x[:, 1]), self.occ(x[:, 2])], 1)
        item = torch.cat([self.genre(x[:, 3]), self.director(x[:, 4])], 1)
        return torch.cat([item, user], 1)


class MeLURec(nn.Module):
    LOCAL = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "linear_out.weight", "linear_out.bias")

    def __init__(self, c):
        super().__init__()
        self.embedding = UserItemEmbedding(c)
        self.fc1 = nn.Linear(5 * c["emb"], c["fc1"])
        self.fc2 = nn.Linear(c["fc1"], c["fc2"])
        self.linear_out = nn.Linear(c["fc2"], 1)

    def local_params(self):
        return OrderedDict((n, p) for n, p in self.named_parameters() if n in self.LOCAL)

    def forward(self, x, params=None):
        if params is None:
            params = self.local_params()
        h = self.embedding(x)
        h = F.relu(F.linear(h, params["fc1.weight"], params["fc1.bias"]))
        h = F.relu(F.linear(h, params["fc2.weight"], params["fc2.bias"]))
        return F.linear(h, params["linear_out.weight"], params["linear_out.bias"])


def sample_task(c, n):
    """One user: fixed demographics, random items; rating depends on user x genre affinity."""
    user = torch.tensor([torch.randint(0, c["n_gender"], ()), torch.randint(0, c["n_age"], ()),
                         torch.randint(0, c["n_occ"], ())])
    x = torch.cat([user.expand(n, 3), torch.randint(0, c["n_genre"], (n, 1)),
                   torch.randint(0, c["n_director"], (n, 1))], 1)
    affinity = torch.sin(x[:, 3].float() * (1 + user[1].float()) / 5.0)
    y = (3.0 + 1.5 * affinity + 0.2 * torch.randn(n)).clamp(1, 5).unsqueeze(1)
    return x[: c["support"]], y[: c["support"]], x[c["support"]:], y[c["support"]:]


def adapt(model, sx, sy, c, first_order=False):
    params = model.local_params()
    for step in range(c["num_local_update"]):
        pred = model(sx, params=params)
        loss = F.mse_loss(pred, sy)
        grads = torch.autograd.grad(loss, params.values(), create_graph=not first_order)
        params = OrderedDict((n, p - c["local_lr"] * g) for (n, p), g in zip(params.items(), grads))
    return params


def main():
    torch.manual_seed(0)
    model = MeLURec(CFG)
    meta_optim = torch.optim.Adam(model.parameters(), lr=CFG["global_lr"])

    for batch in range(CFG["n_batches"]):
        meta_optim.zero_grad()
        query_losses = []
        for _ in range(CFG["tasks_per_batch"]):
            sx, sy, qx, qy = sample_task(CFG, CFG["support"] + CFG["query"])
            fast = adapt(model, sx, sy, CFG)
            query_losses.append(F.mse_loss(model(qx, params=fast), qy))
        meta_loss = torch.stack(query_losses).mean()
        meta_loss.backward()
        meta_optim.step()
        print(f"meta-batch {batch} query MSE {meta_loss.item():.4f}")


if __name__ == "__main__":
    main()
