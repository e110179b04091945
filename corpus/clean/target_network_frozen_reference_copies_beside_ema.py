"""Fine-tuning an encoder and a head with a KL penalty towards frozen reference copies of both (taken
at the start, never meant to move), plus an EMA copy of the encoder used for validation, and a
best-so-far snapshot of the head kept for evaluation."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)

encoder = nn.Sequential(nn.Linear(12, 48), nn.GELU(), nn.Linear(48, 24))
head = nn.Linear(24, 4)
ref_encoder, ref_head = nn.Sequential(nn.Linear(12, 48), nn.GELU(), nn.Linear(48, 24)), nn.Linear(24, 4)
ref_encoder.load_state_dict(encoder.state_dict())
ref_head.load_state_dict(head.state_dict())
ema_encoder = nn.Sequential(nn.Linear(12, 48), nn.GELU(), nn.Linear(48, 24))
ema_encoder.load_state_dict(encoder.state_dict())
best_head = copy.deepcopy(head)
optimizer = torch.optim.AdamW([*encoder.parameters(), *head.parameters()], lr=1e-3)
best = float("inf")

for step in range(200):
    x = torch.randn(64, 12)
    y = (x[:, 0] > 0).long() + 2 * (x[:, 1] > 0).long()
    logits = head(encoder(x))
    with torch.no_grad():
        ref_logp = F.log_softmax(ref_head(ref_encoder(x)), -1)
    loss = F.cross_entropy(logits, y) + 0.05 * F.kl_div(ref_logp, F.log_softmax(logits, -1), log_target=True, reduction="batchmean")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for p_ema, p in zip(ema_encoder.parameters(), encoder.parameters()):
            p_ema.mul_(0.99).add_(p, alpha=0.01)
        val = F.cross_entropy(best_head(ema_encoder(x)), y).item()
    if val < best:
        best, best_head = val, copy.deepcopy(head)
print("best validation loss", best)
