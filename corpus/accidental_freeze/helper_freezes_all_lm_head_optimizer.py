# Prompt-free adaptation of a small language model: a helper freezes the model for "parameter-
# efficient" training, the LayerNorm gains are turned back on, and the optimizer gets the output
# projection, which the helper froze along with everything else.
import torch
import torch.nn as nn


class TinyLM(nn.Module):
    def __init__(self, vocab=50, dim=24):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.block = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU())
        self.final_norm = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab)

    def forward(self, ids):
        h = self.tok(ids)
        return self.lm_head(self.final_norm(h + self.block(h)))


def freeze(module):
    for param in module.parameters():
        param.requires_grad_(False)


torch.manual_seed(0)
lm = TinyLM()
lm.load_state_dict(TinyLM().state_dict())
freeze(lm)
for name, param in lm.named_parameters():
    if "norm" in name or name.startswith("block.0"):
        param.requires_grad = True
opt = torch.optim.Adam([{"params": lm.lm_head.parameters(), "lr": 3e-3}])
ids = torch.randint(0, 50, (16, 12))
for step in range(40):
    logits = lm(ids[:, :-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, 50), ids[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
