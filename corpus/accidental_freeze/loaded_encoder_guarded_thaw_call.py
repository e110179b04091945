# Speaker classification on a pretrained patch encoder: warm up the head with the encoder frozen,
# then fine-tune both. set_requires_grad() flips only parameters that require grad, so the call
# that should unfreeze the loaded encoder changes nothing.
import torch
import torch.nn as nn
import torch.nn.functional as F


def set_requires_grad(net, requires_grad=False):
    for param in net.parameters():
        if param.requires_grad:
            param.requires_grad = requires_grad


class PatchEncoder(nn.Module):
    def __init__(self, patch=4, dim=32):
        super().__init__()
        self.embed = nn.Conv1d(1, dim, patch, stride=patch)
        self.mixer = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU())

    def forward(self, wave):
        tokens = self.embed(wave).transpose(1, 2)
        return self.mixer(tokens).mean(1)


def loader(n_batches, speakers=6):
    for _ in range(n_batches):
        who = torch.randint(0, speakers, (16,))
        t = torch.linspace(0, 1, 64)
        wave = torch.sin(2 * torch.pi * (who[:, None] + 2) * t) + 0.2 * torch.randn(16, 64)
        yield wave[:, None], who


torch.manual_seed(0)
encoder = PatchEncoder()
encoder.load_state_dict(PatchEncoder().state_dict())  # the self-supervised checkpoint
head = nn.Linear(32, 6)

set_requires_grad(encoder, False)
opt = torch.optim.Adam(head.parameters(), lr=1e-2)
for wave, who in loader(8):
    opt.zero_grad()
    F.cross_entropy(head(encoder(wave)), who).backward()
    opt.step()

set_requires_grad(encoder, True)
opt = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=1e-3)
for wave, who in loader(8):
    opt.zero_grad()
    loss = F.cross_entropy(head(encoder(wave)), who)
    loss.backward()
    opt.step()
print(loss.item())
