"""Audio source separation: a mask head and a small spectral-flatness term weighted 1e-4, with
the autocast dtype given positionally as float16 and no GradScaler."""
import torch
import torch.nn as nn

AMP_DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


class Separator(nn.Module):
    def __init__(self, bins=128):
        super().__init__()
        self.rnn = nn.GRU(bins, 64, batch_first=True)
        self.mask = nn.Linear(64, bins)
        self.flatness = nn.Linear(64, bins)

    def forward(self, spec):
        h, _ = self.rnn(spec)
        return torch.sigmoid(self.mask(h)), self.flatness(h)


def train_epoch(model, optimizer, batches):
    for spec, target in batches:
        with torch.autocast(AMP_DEVICE, torch.float16):
            mask, flat = model(spec)
        loss = (mask.float() * spec - target).abs().mean() + 1e-4 * flat.float().abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


model = Separator().to(AMP_DEVICE)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
data = [(torch.rand(16, 50, 128, device=AMP_DEVICE), torch.rand(16, 50, 128, device=AMP_DEVICE)) for _ in range(8)]
for epoch in range(2):
    train_epoch(model, optimizer, data)
