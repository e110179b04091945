# Behaviour cloning for a Connect-Four style policy: a small network scores the 7 columns of a
# board, full columns are masked out before the softmax, and the policy is fitted to the log
# likelihood of an expert's moves (synthetic boards, the expert picks the lowest open column).
import torch
from torch import nn

torch.manual_seed(5)
rows, cols, n_boards = 6, 7, 256
boards = torch.randint(-1, 2, (n_boards, rows, cols)).float()
heights = torch.randint(0, rows + 1, (n_boards, cols))
heights[:, 3] = torch.randint(0, rows, (n_boards,))  # the centre column is never full
legal = heights < rows
expert_moves = torch.where(legal, heights, rows + 1).argmin(1)


def move_log_likelihood(logits, legal_mask, moves):
    masked = logits.masked_fill(~legal_mask, float("-inf"))
    probs = torch.softmax(masked, dim=-1)
    log_probs = torch.log(probs.clamp_min(1e-12))
    return log_probs.gather(1, moves.unsqueeze(1)).squeeze(1)


policy = nn.Sequential(
    nn.Flatten(),
    nn.Linear(rows * cols + cols, 128),
    nn.ReLU(),
    nn.Linear(128, 128),
    nn.ReLU(),
    nn.Linear(128, cols),
)
optimizer = torch.optim.AdamW(policy.parameters(), lr=3e-4, weight_decay=1e-4)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(8):
    perm = torch.randperm(n_boards)
    for i in range(0, n_boards, 64):
        idx = perm[i:i + 64]
        x = torch.cat([boards[idx].flatten(1), heights[idx].float() / rows], dim=1)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = policy(x).float()
        nll = -move_log_likelihood(logits, legal[idx], expert_moves[idx]).mean()
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(nll).backward()
        scaler.step(optimizer)
        scaler.update()
    with torch.no_grad():
        agree = (policy(torch.cat([boards.flatten(1), heights.float() / rows], 1))
                 .masked_fill(~legal, float("-inf")).argmax(1) == expert_moves).float().mean()
    print(f"epoch {epoch}: nll {nll.item():.4f} agreement {agree.item():.2f}")
