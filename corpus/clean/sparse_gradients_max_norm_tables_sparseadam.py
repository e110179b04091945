"""Two-tower retrieval: id tables with sparse gradients and a max_norm renormalisation, looked up
twice per batch (query and positives share the item table), stepped by SparseAdam; the towers by
Adam. Correct: max_norm and a second lookup keep the gradients sparse."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TwoTower(nn.Module):
    def __init__(self, users, items, dim=16):
        super().__init__()
        self.user_ids = nn.Embedding(users, dim, sparse=True, max_norm=1.0)
        self.item_ids = nn.Embedding(items, dim, sparse=True, max_norm=1.0)
        self.user_tower = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.item_tower = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def forward(self, users, items, negatives):
        q = self.user_tower(self.user_ids(users))
        pos = self.item_tower(self.item_ids(items))
        neg = self.item_tower(self.item_ids(negatives))
        return -F.logsigmoid((q * pos).sum(1) - (q * neg).sum(1)).mean()


torch.manual_seed(0)
model = TwoTower(40, 60)
tables = [m.weight for m in model.modules() if isinstance(m, nn.Embedding) and m.sparse]
towers = [p for name, p in model.named_parameters() if "tower" in name]
optimizers = [torch.optim.SparseAdam(tables, lr=1e-2), torch.optim.Adam(towers, lr=1e-2)]
users = torch.randint(0, 40, (256,))
items = (users * 3) % 60
for epoch in range(3):
    for s in range(0, 256, 64):
        loss = model(users[s:s + 64], items[s:s + 64], torch.randint(0, 60, (64,)))
        for opt in optimizers:
            opt.zero_grad()
        loss.backward()
        for opt in optimizers:
            opt.step()
    print(epoch, round(loss.item(), 4))
