"""WGAN with weight clipping on a 1-D mixture: five critic updates per generator update."""
import torch
from torch import nn, optim

torch.manual_seed(0)
config = {"latent": 4, "batch": 64, "n_critic": 5, "clip": 0.05, "lr": 5e-4, "iterations": 40}


def real_samples(n):
    pick = torch.rand(n, 1) < 0.5
    return torch.where(pick, torch.randn(n, 1) * 0.3 - 2.0, torch.randn(n, 1) * 0.3 + 2.0)


netG = nn.Sequential(nn.Linear(config["latent"], 24), nn.Tanh(), nn.Linear(24, 1))
netC = nn.Sequential(nn.Linear(1, 24), nn.ReLU(), nn.Linear(24, 1))
optG = optim.RMSprop(netG.parameters(), lr=config["lr"])
optC = optim.RMSprop(netC.parameters(), lr=config["lr"])

for it in range(config["iterations"]):
    noise = torch.randn(config["batch"], config["latent"])
    samples = netG(noise).detach()
    for _ in range(config["n_critic"]):
        optC.zero_grad()
        critic_loss = netC(samples).mean() - netC(real_samples(config["batch"])).mean()
        critic_loss.backward()
        optC.step()
        for p in netC.parameters():
            p.data.clamp_(-config["clip"], config["clip"])

    optG.zero_grad()
    gen_loss = -netC(samples).mean()
    gen_loss.backward()
    optG.step()
    if it % 10 == 0:
        print(it, critic_loss.item(), gen_loss.item())
