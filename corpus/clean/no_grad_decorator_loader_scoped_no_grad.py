"""Linear probe on a pretrained encoder whose loader keeps autograd off only for itself: the
checkpoint is restored and sanity-checked under `with torch.no_grad():`, and the encoder is frozen
with requires_grad_(False). The probe trains."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20)


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 48), nn.GELU(), nn.Linear(48, 32))

    def forward(self, x):
        return self.net(x)


def load_encoder():
    encoder = Encoder()
    with torch.no_grad():
        encoder.load_state_dict({k: torch.randn_like(v) * 0.2 for k, v in encoder.state_dict().items()})
        check = encoder(torch.zeros(1, 16))
        assert torch.isfinite(check).all()
    encoder.requires_grad_(False)
    return encoder.eval()


encoder = load_encoder()
probe = nn.Linear(32, 3)
optimizer = torch.optim.SGD(probe.parameters(), lr=0.2)

x = torch.randn(90, 16)
y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
for epoch in range(3):
    for i in range(0, 90, 30):
        loss = F.cross_entropy(probe(encoder(x[i:i + 30])), y[i:i + 30])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: {loss.item():.3f}")
