"""Blind hyperspectral unmixing with a convolutional autoencoder (MiSiCNet-like):
encoder -> abundances (softmax over endmembers), linear mixing decoder -> spectra."""
import torch
import torch.nn as nn
import torch.nn.functional as F

BANDS, ENDMEMBERS, H, W = 40, 3, 24, 24


def conv_block(cin, cout, k):
    return nn.Sequential(
        nn.ReflectionPad2d(k // 2),
        nn.Conv2d(cin, cout, k),
        nn.BatchNorm2d(cout),
        nn.LeakyReLU(0.1, inplace=True),
    )


class UnmixingNet(nn.Module):
    def __init__(self, bands, p, hidden=64):
        super().__init__()
        self.layer1 = conv_block(bands, hidden, 3)
        self.layer2 = conv_block(hidden, hidden, 3)
        self.layer3 = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(hidden, p, 3), nn.BatchNorm2d(p))
        self.decoder = nn.Conv2d(p, bands, 1, bias=False)

    def forward(self, x):
        x1 = self.layer1(x)
        abund = F.softmax(self.layer3(x1), dim=1)
        recon = self.decoder(abund)
        return abund, recon


def simulate_scene(seed=0):
    g = torch.Generator().manual_seed(seed)
    wl = torch.linspace(0, 1, BANDS)
    endm = torch.stack([0.2 + 0.6 * wl, 0.8 - 0.5 * wl, 0.4 + 0.3 * torch.sin(6 * wl)])
    logits = F.avg_pool2d(torch.randn(1, ENDMEMBERS, H, W, generator=g), 5, 1, 2) * 4
    abund = torch.softmax(logits, dim=1)
    cube = torch.einsum("bphw,pl->blhw", abund, endm)
    cube = cube + 0.01 * torch.randn(cube.shape, generator=g)
    return cube, abund, endm


def minimum_volume(endmembers):
    # endmembers: (bands, p) weights of the decoder
    centroid = endmembers.mean(dim=1, keepdim=True)
    return ((endmembers - centroid) ** 2).sum() / endmembers.shape[1]


def sad(a, b):
    cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-8)
    return torch.acos(cos.clamp(-1, 1)).mean()


def train(model, cube, n_iter=40, lr=5e-3, lam=0.1):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for it in range(n_iter):
        abund, recon = model(cube)
        loss = F.mse_loss(recon, cube) + lam * minimum_volume(model.decoder.weight.squeeze(-1).squeeze(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.decoder.weight.clamp_(min=0)
        if it % 10 == 0:
            print(f"iter {it:03d} loss {loss.item():.5f}")
    return model


def evaluate(model, cube, true_abund, true_endm):
    model.eval()
    with torch.no_grad():
        abund, _ = model(cube)
    est_endm = model.decoder.weight.squeeze(-1).squeeze(-1).t()
    rmse = torch.sqrt(((abund - true_abund) ** 2).mean()).item()
    print(f"abundance RMSE {rmse:.4f}  endmember SAD {sad(est_endm, true_endm).item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    cube, true_abund, true_endm = simulate_scene()
    net = train(UnmixingNet(BANDS, ENDMEMBERS), cube)
    evaluate(net, cube, true_abund, true_endm)
