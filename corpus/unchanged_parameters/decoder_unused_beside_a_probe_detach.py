"""Two stages: an autoencoder is pre-trained, with a linear probe on its detached code (the probe
must not shape the encoder); then a classifier is fine-tuned on a copy of the encoder loaded from
it. The fine-tuning model keeps the loaded decoder and runs it, but throws its output away, and
its optimizer holds it: that decoder never changes. The probe's `.detach()` is not why: it only ever cut the
probe from the encoder, which trains."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class AutoEncoder(nn.Module):
    def __init__(self, dim: int = 16, code: int = 4) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, 8), nn.Tanh(), nn.Linear(8, code))
        self.decoder = nn.Sequential(nn.Linear(code, 8), nn.Tanh(), nn.Linear(8, dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.encoder(x)
        return z, self.decoder(z)


class FineTuned(nn.Module):
    def __init__(self, pretrained: AutoEncoder, classes: int = 3) -> None:
        super().__init__()
        self.ae = pretrained
        self.head = nn.Linear(4, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z, _ = self.ae(x)  # the reconstruction is not used any more
        return self.head(z)


def pretrain(ae: AutoEncoder, data: torch.Tensor, labels: torch.Tensor, steps: int = 20) -> nn.Linear:
    probe = nn.Linear(4, 3)
    opt = torch.optim.Adam([*ae.parameters(), *probe.parameters()], lr=1e-2)
    for _ in range(steps):
        z, recon = ae(data)
        probe_loss = F.cross_entropy(probe(z.detach()), labels)  # a linear probe: reads the code, never shapes it
        loss = F.mse_loss(recon, data) + probe_loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    return probe


def finetune(model: FineTuned, data: torch.Tensor, labels: torch.Tensor, steps: int = 20) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        loss = F.cross_entropy(model(data), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()


data = torch.randn(64, 16)
labels = torch.randint(0, 3, (64,))
ae = AutoEncoder()
pretrain(ae, data, labels)
model = FineTuned(AutoEncoder())
model.ae.load_state_dict(ae.state_dict())
finetune(model, data, labels)
