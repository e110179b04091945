# Node classification on a synthetic citation-style graph (stochastic block model) with a 2-layer GCN.
# Hidden features are standardised in place per channel; running statistics are kept for eval.
import torch
from torch import nn
from torch.nn import functional as F

SEED = 21
NODES, CLASSES, FEATS, HIDDEN = 600, 4, 32, 48
P_IN, P_OUT = 0.04, 0.004
EPOCHS = 60


class RunningStandardize_(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, running_mean, running_var, momentum, training, eps=1e-5):
        if training:
            mean, var = h.mean(0), h.var(0, unbiased=False)
            running_mean.lerp_(mean, momentum)
            running_var.lerp_(var, momentum)
        else:
            mean, var = running_mean, running_var
        inv_std = (var + eps).rsqrt()
        h.sub_(mean).mul_(inv_std)
        ctx.mark_dirty(h)
        ctx.save_for_backward(h, inv_std)
        ctx.training = training
        return h

    @staticmethod
    def backward(ctx, grad):
        z, inv_std = ctx.saved_tensors
        if not ctx.training:
            return grad * inv_std, None, None, None, None, None
        g_mean = grad.mean(0)
        gz_mean = (grad * z).mean(0)
        return inv_std * (grad - g_mean - z * gz_mean), None, None, None, None, None


class Standardize(nn.Module):
    def __init__(self, channels, momentum=0.1):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def forward(self, h):
        return RunningStandardize_.apply(h, self.running_mean, self.running_var, self.momentum, self.training)


class GCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin1 = nn.Linear(FEATS, HIDDEN)
        self.norm = Standardize(HIDDEN)
        self.lin2 = nn.Linear(HIDDEN, CLASSES)
        self.dropout = nn.Dropout(0.3)

    def forward(self, x, adj):
        h = adj @ self.lin1(x)
        h = self.dropout(F.relu(self.norm(h)))
        return adj @ self.lin2(h)


def block_model_graph(gen):
    labels = torch.randint(0, CLASSES, (NODES,), generator=gen)
    same = labels[:, None] == labels[None, :]
    probs = torch.where(same, P_IN, P_OUT)
    upper = torch.triu(torch.rand(NODES, NODES, generator=gen) < probs, diagonal=1)
    adj = (upper | upper.T).float() + torch.eye(NODES)
    deg_inv_sqrt = adj.sum(1).rsqrt()
    adj = deg_inv_sqrt[:, None] * adj * deg_inv_sqrt[None, :]
    centers = torch.randn(CLASSES, FEATS, generator=gen)
    x = 0.4 * centers[labels] + torch.randn(NODES, FEATS, generator=gen)
    return x, adj, labels


def accuracy(logits, labels, mask):
    return (logits[mask].argmax(-1) == labels[mask]).float().mean().item()


def main():
    gen = torch.Generator().manual_seed(SEED)
    torch.manual_seed(SEED)
    x, adj, labels = block_model_graph(gen)
    perm = torch.randperm(NODES, generator=gen)
    train_mask = torch.zeros(NODES, dtype=torch.bool)
    train_mask[perm[:120]] = True
    test_mask = torch.zeros(NODES, dtype=torch.bool)
    test_mask[perm[300:]] = True

    model = GCN()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=5e-4)

    model.eval()
    with torch.no_grad():
        print(f"test acc before training: {accuracy(model(x, adj), labels, test_mask):.3f}")
    for epoch in range(EPOCHS):
        model.train()
        logits = model(x, adj)
        loss = F.cross_entropy(logits[train_mask], labels[train_mask])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 20 == 19:
            model.eval()
            with torch.no_grad():
                acc = accuracy(model(x, adj), labels, test_mask)
            print(f"epoch {epoch + 1}: loss {loss.item():.4f}  test acc {acc:.3f}")


if __name__ == "__main__":
    main()
