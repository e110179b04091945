import torch
from torch import nn, optim


class Recommender(nn.Module):
    def __init__(self, n_users=500, n_items=800, dim=16):
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim, sparse=True)
        self.item_emb = nn.Embedding(n_items, dim, sparse=True)
        self.scorer = nn.Sequential(nn.Linear(2 * dim, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, users, items):
        return self.scorer(torch.cat([self.user_emb(users), self.item_emb(items)], dim=1)).squeeze(1)


def main():
    torch.manual_seed(1)
    model = Recommender()
    # the sparse tables with SparseAdam, the dense scorer with Adam
    table_opt = optim.SparseAdam(list(model.user_emb.parameters()) + list(model.item_emb.parameters()), lr=0.01)
    scorer_opt = optim.Adam(model.scorer.parameters(), lr=1e-3)
    users = torch.randint(0, 500, (4000,))
    items = torch.randint(0, 800, (4000,))
    liked = ((users % 5) == (items % 5)).float()
    for epoch in range(3):
        for u, i, y in zip(users.split(256), items.split(256), liked.split(256)):
            loss = nn.functional.binary_cross_entropy_with_logits(model(u, i), y)
            table_opt.zero_grad()
            scorer_opt.zero_grad()
            loss.backward()
            table_opt.step()
            scorer_opt.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
