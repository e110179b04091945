"""A dual encoder for retrieval whose target encoder is used only when the config unties it."""
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = {"dim": 24, "hidden": 48, "tie_encoders": True, "temperature": 0.1}


class DualEncoder(nn.Module):
    def __init__(self, dim, hidden, tie_encoders):
        super().__init__()
        self.tie_encoders = tie_encoders
        self.src_encoder = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))
        # Built either way so that checkpoints of both configs load into one class.
        self.tgt_encoder = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, src, tgt):
        if self.tie_encoders:
            return self.src_encoder(src), self.src_encoder(tgt)
        return self.src_encoder(src), self.tgt_encoder(tgt)


def info_nce(q, k, temperature):
    logits = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).t() / temperature
    return F.cross_entropy(logits, torch.arange(q.shape[0]))


torch.manual_seed(0)
queries = torch.randn(128, CONFIG["dim"])
docs = queries + 0.3 * torch.randn(128, CONFIG["dim"])
model = DualEncoder(CONFIG["dim"], CONFIG["hidden"], CONFIG["tie_encoders"])
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
for step in range(25):
    idx = torch.randint(0, 128, (32,))
    q, k = model(queries[idx], docs[idx])
    loss = info_nce(q, k, CONFIG["temperature"])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 5 == 0:
        print(f"step {step}: loss {loss.item():.4f}")
