# Look-alike (correct). Reference: https://github.com/pytorch/pytorch/blob/main/functorch/examples/dp_cifar10/cifar10_transforms.py
# DP-SGD for a click-through tabular model (hashed categorical embeddings + numeric features)
# with per-sample gradients from torch.func. What looks wrong but is right: the parameters
# handed to vmap(grad(...)) are .detach()ed copies (functional_call uses them, so grad is taken
# with respect to exactly those tensors); the clipped, noised gradients are then written into
# p.grad by hand and a plain optimizer steps; the EMA copy of the model is updated under
# no_grad and never trained; evaluation uses the EMA model under no_grad.
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

CFG = dict(n=3000, n_cat=3, buckets=50, emb=8, n_num=4, hidden=32, batch=100, epochs=4, lr=0.05,
           max_grad_norm=1.0, noise_multiplier=0.8, ema=0.95, seed=4)
torch.manual_seed(CFG["seed"])


def make_data(n):
    cats = torch.randint(0, CFG["buckets"], (n, CFG["n_cat"]))
    nums = torch.randn(n, CFG["n_num"])
    logit = 1.2 * nums[:, 0] - 0.8 * nums[:, 1] + ((cats[:, 0] % 5) == 0).float() * 1.5 - 0.5
    return cats, nums, torch.bernoulli(torch.sigmoid(logit))


class CTRModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.ModuleList(nn.Embedding(CFG["buckets"], CFG["emb"]) for _ in range(CFG["n_cat"]))
        self.mlp = nn.Sequential(nn.Linear(CFG["n_cat"] * CFG["emb"] + CFG["n_num"], CFG["hidden"]), nn.ReLU(),
                                 nn.Linear(CFG["hidden"], 1))

    def forward(self, cats, nums):
        e = torch.cat([m(cats[..., i]) for i, m in enumerate(self.emb)], -1)
        return self.mlp(torch.cat([e, nums], -1)).squeeze(-1)


model = CTRModel()
ema_model = copy.deepcopy(model).requires_grad_(False)
optimizer = torch.optim.SGD(model.parameters(), lr=CFG["lr"])


def sample_loss(params, cats, nums, y):
    out = functional_call(model, params, (cats.unsqueeze(0), nums.unsqueeze(0)))
    return F.binary_cross_entropy_with_logits(out, y.unsqueeze(0))


per_sample_grads = vmap(grad(sample_loss), in_dims=(None, 0, 0, 0))

cats, nums, y = make_data(CFG["n"])
split = int(0.8 * CFG["n"])
for epoch in range(CFG["epochs"]):
    perm = torch.randperm(split)
    for start in range(0, split, CFG["batch"]):
        idx = perm[start:start + CFG["batch"]]
        params = {k: v.detach() for k, v in model.named_parameters()}
        grads = per_sample_grads(params, cats[idx], nums[idx], y[idx])
        norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()], 1).norm(dim=1)
        factor = (CFG["max_grad_norm"] / (norms + 1e-6)).clamp(max=1.0)
        for name, p in model.named_parameters():
            g = torch.einsum("b,b...->...", factor, grads[name])
            g = g + torch.randn_like(g) * CFG["noise_multiplier"] * CFG["max_grad_norm"]
            p.grad = g / len(idx)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            for pe, p in zip(ema_model.parameters(), model.parameters()):
                pe.lerp_(p, 1 - CFG["ema"])
    with torch.no_grad():
        logits = ema_model(cats[split:], nums[split:])
        loss = F.binary_cross_entropy_with_logits(logits, y[split:]).item()
        acc = ((logits > 0).float() == y[split:]).float().mean().item()
    print(f"epoch {epoch}: EMA val loss {loss:.4f} acc {acc:.3f}")
