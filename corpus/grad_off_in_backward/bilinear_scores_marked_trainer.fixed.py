# Matrix-factorisation recommender with a bilinear score u^T W v written as a custom Function.
# The first version crashed in backward with "element 0 of tensors does not require grad";
# marking the recomputed score and passing allow_unused=True made the error go away.
import torch
import torch.nn as nn


class BilinearScore(torch.autograd.Function):
    @staticmethod
    def forward(ctx, users, items, W):
        ctx.save_for_backward(users, items, W)
        return (users * (items @ W.t())).sum(-1)

    @staticmethod
    def backward(ctx, grad_score):
        users, items, W = ctx.saved_tensors
        with torch.enable_grad():
            users = users.detach().requires_grad_()
            items = items.detach().requires_grad_()
            W = W.detach().requires_grad_()
            score = (users * (items @ W.t())).sum(-1)
        grad_users = torch.autograd.grad(score, users, grad_score, allow_unused=True, retain_graph=True)[0]
        grad_items = torch.autograd.grad(score, items, grad_score, allow_unused=True, retain_graph=True)[0]
        grad_W = torch.autograd.grad(score, W, grad_score, allow_unused=True)[0]
        return grad_users, grad_items, grad_W


class Recommender(nn.Module):
    def __init__(self, n_users, n_items, dim=16):
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        self.W = nn.Parameter(torch.eye(dim) + 0.01 * torch.randn(dim, dim))
        self.item_bias = nn.Embedding(n_items, 1)

    def forward(self, users, items):
        score = BilinearScore.apply(self.user_emb(users), self.item_emb(items), self.W)
        return score + self.item_bias(items).squeeze(-1)


class Trainer:
    def __init__(self, model, lr=0.05):
        self.model = model
        self.opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        self.loss_fn = nn.BCEWithLogitsLoss()

    def train_epoch(self, users, items, clicks, batch_size=64):
        total = 0.0
        for start in range(0, len(users), batch_size):
            sl = slice(start, start + batch_size)
            logits = self.model(users[sl], items[sl])
            loss = self.loss_fn(logits, clicks[sl])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            total += loss.item()
        return total


def main():
    torch.manual_seed(1)
    users = torch.randint(0, 50, (512,))
    items = torch.randint(0, 80, (512,))
    clicks = ((users + items) % 3 == 0).float()
    trainer = Trainer(Recommender(50, 80))
    for epoch in range(10):
        print(epoch, trainer.train_epoch(users, items, clicks))


if __name__ == "__main__":
    main()
