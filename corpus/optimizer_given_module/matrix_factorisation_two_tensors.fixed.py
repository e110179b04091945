"""Matrix factorisation of a sparse ratings matrix, users and items updated in turn."""
import torch
import torch.optim as O

torch.manual_seed(0)
n_users, n_items, rank = 30, 20, 4
ratings = (torch.randn(n_users, rank) @ torch.randn(rank, n_items)).clamp(-2, 2) + 3
observed = torch.rand(n_users, n_items) < 0.3

users = (0.1 * torch.randn(n_users, rank)).requires_grad_()
items = (0.1 * torch.randn(n_items, rank)).requires_grad_()
user_opt = O.Adam(params=[users], lr=0.05)
item_opt = O.Adam([items], lr=0.05, weight_decay=1e-4)

for epoch in range(10):
    for opt in (user_opt, item_opt):
        pred = users @ items.t() + 3
        loss = ((pred - ratings)[observed] ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: mse {loss.item():.4f}")
