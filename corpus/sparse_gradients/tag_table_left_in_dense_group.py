import torch
import torch.nn as nn

torch.manual_seed(5)


class TwoTower(nn.Module):
    def __init__(self, n_users=200, n_items=300, n_tags=40, dim=12):
        super().__init__()
        self.users = nn.Embedding(n_users, dim, sparse=True)
        self.items = nn.Embedding(n_items, dim, sparse=True)
        self.tags = nn.Embedding(n_tags, dim, sparse=True)
        self.item_proj = nn.Linear(2 * dim, dim)

    def forward(self, user, item, tag):
        item_vec = self.item_proj(torch.cat([self.items(item), self.tags(tag)], dim=1))
        return (self.users(user) * item_vec).sum(1)


model = TwoTower()
# the big id tables go to SparseAdam, everything else to Adam
sparse_params = [model.users.weight, model.items.weight]
dense_params = [p for name, p in model.named_parameters() if not name.startswith(("users", "items"))]
sparse_opt = torch.optim.SparseAdam(sparse_params, lr=0.01)
dense_opt = torch.optim.Adam(dense_params, lr=0.01)

user = torch.randint(0, 200, (1024,))
item = torch.randint(0, 300, (1024,))
tag = item % 40
target = ((user + item) % 2).float()

for step in range(20):
    logits = model(user, item, tag)
    loss = nn.functional.binary_cross_entropy_with_logits(logits, target)
    sparse_opt.zero_grad()
    dense_opt.zero_grad()
    loss.backward()
    sparse_opt.step()
    dense_opt.step()
    if step % 5 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
