"""DIN ranking model, TorchEasyRec-style training loop (reduced, single process).

Sparse embedding tables are updated by a fused optimizer applied in backward
(torchrec apply_optimizer_in_backward); dense towers go through a KeyedOptimizer
wrapped by TZRecOptimizer, which also handles gradient accumulation / GradScaler.
"""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

device = "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class TrainConfig:
    sparse_lr: float = 0.05
    dense_lr: float = 1e-3
    gradient_accumulation_steps: int = 1
    num_steps: int = 12
    batch_size: int = 32
    seq_len: int = 8


FEATURES = {"user_id": 50, "item_id": 80, "cate_id": 10}
EMB_DIM = 8


def apply_optimizer_in_backward(optimizer_class, params, optimizer_kwargs):
    """Same contract as torch.distributed.optim.apply_optimizer_in_backward: step each
    sparse parameter right after its gradient is accumulated, then drop the gradient."""
    for param in params:
        opt = optimizer_class([param], **optimizer_kwargs)
        param._in_backward_optimizers = [opt]

        def _hook(p, opt=opt):
            opt.step()
            opt.zero_grad(set_to_none=True)

        param.register_post_accumulate_grad_hook(_hook)


class KeyedOptimizerWrapper:
    def __init__(self, params, optim_factory):
        self.params = params
        self._optimizer = optim_factory(list(params.values()))
        self.param_groups = self._optimizer.param_groups

    def step(self, closure=None):
        self._optimizer.step(closure)

    def zero_grad(self, set_to_none=False):
        self._optimizer.zero_grad(set_to_none=set_to_none)


class TZRecOptimizer:
    """Wrap optimizer for gradient accumulation and grad scaler."""
    def __init__(self, optimizer, grad_scaler=None, gradient_accumulation_steps=1):
        self._optimizer = optimizer
        self._grad_scaler = grad_scaler
        self._gradient_accumulation_steps = gradient_accumulation_steps
        self._step = 0
        self.param_groups = optimizer.param_groups

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Zero gradients."""
        if (
            self._gradient_accumulation_steps <= 1
            or self._step % self._gradient_accumulation_steps == 0
        ):
            self._optimizer.zero_grad(set_to_none=set_to_none)

    def step(self, closure=None) -> None:
        """Step."""
        self._step += 1
        if (
            self._gradient_accumulation_steps <= 1
            or self._step % self._gradient_accumulation_steps == 0
        ):
            if self._grad_scaler is not None:
                self._grad_scaler.step(self._optimizer)
                self._grad_scaler.update()
            else:
                self._optimizer.step(closure)


class DINAttention(nn.Module):
    def __init__(self, dim, hidden=16):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(dim * 4, hidden), nn.PReLU(), nn.Linear(hidden, 1))

    def forward(self, query, keys, mask):
        q = query.unsqueeze(1).expand_as(keys)
        scores = self.mlp(torch.cat([q, keys, q - keys, q * keys], dim=-1)).squeeze(-1)
        scores = scores.masked_fill(~mask, 0.0)
        return (scores.unsqueeze(-1) * keys).sum(1)


class DIN(nn.Module):
    def __init__(self):
        super().__init__()
        self.ebc = nn.ModuleDict({name: nn.Embedding(n, EMB_DIM) for name, n in FEATURES.items()})
        self.din_attn = DINAttention(EMB_DIM * 2)
        self.towers = nn.Sequential(nn.Linear(EMB_DIM * 5, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU())
        self.output_mlp = nn.Linear(16, 1)

    def forward(self, batch):
        user = self.ebc["user_id"](batch["user_id"])
        target = torch.cat([self.ebc["item_id"](batch["item_id"]), self.ebc["cate_id"](batch["cate_id"])], -1)
        hist = torch.cat([self.ebc["item_id"](batch["hist_item"]), self.ebc["cate_id"](batch["hist_cate"])], -1)
        interest = self.din_attn(target, hist, batch["hist_mask"])
        return self.output_mlp(self.towers(torch.cat([user, target, interest], -1))).squeeze(-1)


def make_batch(cfg, g):
    b, l = cfg.batch_size, cfg.seq_len
    batch = {
        "user_id": torch.randint(0, FEATURES["user_id"], (b,), generator=g),
        "item_id": torch.randint(0, FEATURES["item_id"], (b,), generator=g),
        "cate_id": torch.randint(0, FEATURES["cate_id"], (b,), generator=g),
        "hist_item": torch.randint(0, FEATURES["item_id"], (b, l), generator=g),
        "hist_cate": torch.randint(0, FEATURES["cate_id"], (b, l), generator=g),
        "hist_mask": torch.rand(b, l, generator=g) > 0.3,
    }
    label = ((batch["item_id"] % 3 == 0) | (batch["cate_id"] < 3)).float()
    return {k: v.to(device) for k, v in batch.items()}, label.to(device)


torch.manual_seed(0)
cfg = TrainConfig()
model = DIN().to(device)

sparse_params = list(model.ebc.parameters())
apply_optimizer_in_backward(torch.optim.Adagrad, sparse_params, {"lr": cfg.sparse_lr})
dense_params = {n: p for n, p in model.named_parameters() if not n.startswith("ebc.")}
dense_optimizer = KeyedOptimizerWrapper(dense_params, lambda params: torch.optim.Adam(params, lr=cfg.dense_lr))
optimizer = TZRecOptimizer(dense_optimizer, gradient_accumulation_steps=cfg.gradient_accumulation_steps)
lr_scheduler = torch.optim.lr_scheduler.ExponentialLR(dense_optimizer._optimizer, gamma=0.98)

g = torch.Generator().manual_seed(0)
model.train()
for i_step in range(cfg.num_steps):
    batch, label = make_batch(cfg, g)
    optimizer.zero_grad()
    logits = model(batch)
    loss = F.binary_cross_entropy_with_logits(logits, label)
    loss.backward()
    optimizer.step()
    lr_scheduler.step()
    if i_step % 4 == 0:
        print(f"step {i_step} loss {loss.item():.4f}")
