"""Click-through and conversion prediction (ESMM-style) with a shared feature layer. The sparse
conversion task reaches the shared layer through a gradient-scaling Function, written the
torch 2 way: forward without ctx, and a separate setup_context."""
import torch
from torch import nn
import torch.nn.functional as F

N_USERS, N_ITEMS, N_CATS = 200, 300, 12
EMB, SHARED = 16, 48
CVR_GRAD_SCALE = 0.2


class ScaleGrad(torch.autograd.Function):
    @staticmethod
    def forward(x, scale):
        return x.view_as(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, scale = inputs
        ctx.scale = scale

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


class ESMM(nn.Module):
    def __init__(self):
        super().__init__()
        self.user = nn.Embedding(N_USERS, EMB)
        self.item = nn.Embedding(N_ITEMS, EMB)
        self.cat = nn.Embedding(N_CATS, EMB)
        self.shared = nn.Linear(3 * EMB, SHARED)
        self.ctr_tower = nn.Sequential(nn.Linear(SHARED, 32), nn.ReLU(), nn.Linear(32, 1))
        self.cvr_tower = nn.Sequential(nn.Linear(SHARED, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, user, item, cat):
        shared = self.shared(torch.cat([self.user(user), self.item(item), self.cat(cat)], dim=1))
        cvr_logit = self.cvr_tower(ScaleGrad.apply(shared, CVR_GRAD_SCALE)).squeeze(1)
        ctr_logit = self.ctr_tower(F.relu(shared, inplace=True)).squeeze(1)
        p_ctr = torch.sigmoid(ctr_logit)
        p_ctcvr = p_ctr * torch.sigmoid(cvr_logit)
        return p_ctr, p_ctcvr


def impressions(n, generator):
    user = torch.randint(0, N_USERS, (n,), generator=generator)
    item = torch.randint(0, N_ITEMS, (n,), generator=generator)
    cat = item % N_CATS
    affinity = torch.sin(user.float() * 0.37 + cat.float() * 1.3)
    click = (torch.rand(n, generator=generator) < torch.sigmoid(2 * affinity - 1)).float()
    buy = click * (torch.rand(n, generator=generator) < torch.sigmoid(3 * affinity - 2)).float()
    return user, item, cat, click, buy


gen = torch.Generator().manual_seed(8)
torch.manual_seed(8)
data = impressions(8192, gen)
model = ESMM()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(4):
    perm = torch.randperm(8192, generator=gen)
    for i in range(0, 8192, 512):
        user, item, cat, click, buy = (t[perm[i:i + 512]] for t in data)
        p_ctr, p_ctcvr = model(user, item, cat)
        loss = F.binary_cross_entropy(p_ctr, click) + F.binary_cross_entropy(p_ctcvr, buy)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
