"""Session-based next-item recommendation: the last clicked item attends over the session with a
bilinear score q W k^T, computed by a small autograd Function that keeps q W for backward. A
Trainer class owns the device and the mixed-precision step."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as fn


class BilinearScore(torch.autograd.Function):
    @staticmethod
    def forward(ctx, query, keys, weight):
        scale = 1.0 / math.sqrt(query.shape[-1])
        qw = query @ weight                                   # (B, d)
        scores = torch.bmm(keys, qw.unsqueeze(-1)).squeeze(-1) * scale
        ctx.save_for_backward(query, keys, weight, qw)
        ctx.scale = scale
        return scores

    @staticmethod
    def backward(ctx, grad_scores):
        query, keys, weight, qw = ctx.saved_tensors
        g = grad_scores * ctx.scale
        grad_qw = torch.bmm(g.unsqueeze(1), keys).squeeze(1)
        grad_keys = g.unsqueeze(-1) * qw.unsqueeze(1)
        grad_query = grad_qw @ weight.t()
        grad_weight = query.t() @ grad_qw
        return grad_query, grad_keys, grad_weight


class SessionAttentionRec(nn.Module):
    def __init__(self, n_items: int, dim: int = 32):
        super().__init__()
        self.items = nn.Embedding(n_items, dim, padding_idx=0)
        self.score_w = nn.Parameter(torch.eye(dim) + 0.01 * torch.randn(dim, dim))
        self.merge = nn.Linear(2 * dim, dim)

    def forward(self, sessions: torch.Tensor) -> torch.Tensor:
        keys = self.items(sessions)                           # (B, L, d)
        last = keys[:, -1]
        scores = BilinearScore.apply(last, keys, self.score_w)
        scores = scores.masked_fill(sessions == 0, float("-inf"))
        context = (scores.softmax(-1).unsqueeze(-1) * keys).sum(1)
        user = self.merge(torch.cat([context, last], dim=-1))
        return user @ self.items.weight.t()                   # logits over the catalogue


def simulate_sessions(n_sessions: int, n_items: int, length: int, seed: int = 0):
    """Clicks walk a sparse item-to-item transition graph; the target is the next click."""
    successors = torch.randint(1, n_items, (n_items, 3), generator=torch.Generator().manual_seed(1234))
    g = torch.Generator().manual_seed(seed)
    clicks = torch.zeros(n_sessions, length + 1, dtype=torch.long)
    clicks[:, 0] = torch.randint(1, n_items, (n_sessions,), generator=g)
    for t in range(1, length + 1):
        pick = torch.randint(0, 3, (n_sessions,), generator=g)
        clicks[:, t] = successors[clicks[:, t - 1], pick]
    return clicks[:, :-1], clicks[:, -1]


class Trainer:
    def __init__(self, model: nn.Module, lr: float = 5e-3, batch_size: int = 128):
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device)
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.batch_size = batch_size

    def step(self, sessions: torch.Tensor, targets: torch.Tensor) -> float:
        sessions, targets = sessions.to(self.device), targets.to(self.device)
        with torch.autocast(self.device.type, dtype=torch.bfloat16):
            logits = self.model(sessions)
        loss = fn.cross_entropy(logits.float(), targets)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    @torch.no_grad()
    def hit_rate(self, sessions: torch.Tensor, targets: torch.Tensor, k: int = 10) -> float:
        top = self.model(sessions.to(self.device)).topk(k, dim=-1).indices.cpu()
        return (top == targets.unsqueeze(-1)).any(-1).float().mean().item()

    def fit(self, sessions, targets, val, epochs: int = 3) -> None:
        for epoch in range(epochs):
            order = torch.randperm(len(sessions))
            losses = [
                self.step(sessions[idx], targets[idx])
                for idx in order.split(self.batch_size)
            ]
            print(f"epoch {epoch}: loss {sum(losses) / len(losses):.3f}  HR@10 {self.hit_rate(*val):.3f}")


if __name__ == "__main__":
    torch.manual_seed(42)
    N_ITEMS = 200
    train_sessions, train_next = simulate_sessions(2048, N_ITEMS, length=8, seed=1)
    val_sessions, val_next = simulate_sessions(256, N_ITEMS, length=8, seed=2)
    Trainer(SessionAttentionRec(N_ITEMS)).fit(train_sessions, train_next, (val_sessions, val_next))
