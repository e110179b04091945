"""Audio event tagging with a learnable filterbank front-end that is kept frozen for a warm-up
epoch (the classifier settles first), then trained with the rest. The switch is a flag on the
model, read in forward."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Tagger(nn.Module):
    def __init__(self, n_filters=12, n_tags=3):
        super().__init__()
        self.frontend = nn.Conv1d(1, n_filters, 31, stride=8, padding=15)
        self.body = nn.Sequential(nn.Conv1d(n_filters, 24, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1))
        self.out = nn.Linear(24, n_tags)
        self.frontend_frozen = True

    def forward(self, wav):
        if self.frontend_frozen:
            with torch.no_grad():
                spec = self.frontend(wav.unsqueeze(1))
        else:
            spec = self.frontend(wav.unsqueeze(1))
        h = self.body(torch.log1p(spec.abs())).squeeze(-1)
        return self.out(h)


def clips(n=24, length=512):
    tags = torch.randint(0, 3, (n,))
    t = torch.arange(length).float()
    wav = torch.sin(t[None] * (0.05 + 0.1 * tags[:, None])) + 0.3 * torch.randn(n, length)
    return wav, tags


torch.manual_seed(0)
model = Tagger()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(4):
    model.frontend_frozen = epoch < 1
    for _ in range(8):
        wav, tags = clips()
        loss = F.cross_entropy(model(wav), tags)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} frozen={model.frontend_frozen} loss {loss.item():.3f}")
