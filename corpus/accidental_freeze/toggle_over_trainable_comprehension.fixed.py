# Keyword spotting: the head is trained first on a frozen 1-d conv encoder, then both, the encoder
# at a smaller rate. set_trainable() toggles only [p for p in ... if p.requires_grad].
import torch
import torch.nn as nn
import torch.nn.functional as F


def set_trainable(model, on):
    for p in model.parameters():
        p.requires_grad = on


class KWS(nn.Module):
    def __init__(self, n_mels=20, n_words=5):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv1d(n_mels, 32, 3, padding=1), nn.ReLU(),
            nn.Conv1d(32, 32, 3, padding=1), nn.ReLU(),
        )
        self.head = nn.Linear(32, n_words)

    def forward(self, mel):
        return self.head(self.encoder(mel).amax(-1))


def epoch(model, optimizer):
    for _ in range(8):
        mel = torch.randn(20, 20, 30)
        words = mel[:, :5].mean((1, 2)).argsort().remainder(5)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(mel), words)
        loss.backward()
        optimizer.step()
    return loss


torch.manual_seed(0)
kws = KWS()
set_trainable(kws.encoder, False)
head_opt = torch.optim.Adam(kws.head.parameters(), lr=5e-3)
for e in range(3):
    epoch(kws, head_opt)

set_trainable(kws.encoder, True)
full_opt = torch.optim.Adam([
    {"params": kws.encoder.parameters(), "lr": 5e-4},
    {"params": kws.head.parameters(), "lr": 5e-3},
])
for e in range(3):
    print(e, epoch(kws, full_opt).item())
