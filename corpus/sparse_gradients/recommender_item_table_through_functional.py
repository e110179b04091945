"""Matrix factorisation with biases: user and item tables are sparse and stepped by SparseAdam,
chosen by their `sparse` flag. The item table is read with F.embedding on its weight (to share
the padding row logic), which gives it a dense gradient."""
import torch
import torch.nn as nn
import torch.nn.functional as F

USERS, ITEMS, RANK = 50, 80, 8


class MF(nn.Module):
    def __init__(self):
        super().__init__()
        self.users = nn.Embedding(USERS, RANK, sparse=True)
        self.items = nn.Embedding(ITEMS, RANK, padding_idx=0, sparse=True)
        self.bias = nn.Linear(2 * RANK, 1)

    def forward(self, u, i):
        pu = self.users(u)
        qi = F.embedding(i, self.items.weight, padding_idx=0)
        return (pu * qi).sum(1) + self.bias(torch.cat([pu, qi], 1)).squeeze(1)


def split_parameters(model):
    sparse, dense = [], []
    for module in model.modules():
        if isinstance(module, nn.Embedding) and module.sparse:
            sparse.append(module.weight)
        else:
            dense.extend(module.parameters(recurse=False))
    return sparse, dense


def main():
    torch.manual_seed(0)
    model = MF()
    sparse, dense = split_parameters(model)
    optimizers = [torch.optim.SparseAdam(sparse, lr=1e-2), torch.optim.Adam(dense, lr=1e-2)]
    u = torch.randint(0, USERS, (400,))
    i = torch.randint(1, ITEMS, (400,))
    r = ((u % 5) + (i % 3)).float() / 2
    for epoch in range(3):
        for s in range(0, 400, 100):
            loss = F.mse_loss(model(u[s:s + 100], i[s:s + 100]), r[s:s + 100])
            for opt in optimizers:
                opt.zero_grad()
            loss.backward()
            for opt in optimizers:
                opt.step()
        print(epoch, round(loss.item(), 4))


if __name__ == "__main__":
    main()
