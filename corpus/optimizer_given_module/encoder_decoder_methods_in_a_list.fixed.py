import argparse

import torch
import torch.optim as optim
from torch import nn


def build(n_in, n_latent):
    encoder = nn.Sequential(nn.Linear(n_in, 32), nn.Tanh(), nn.Linear(32, n_latent))
    decoder = nn.Sequential(nn.Linear(n_latent, 32), nn.Tanh(), nn.Linear(32, n_in))
    return encoder, decoder


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--latent", type=int, default=4)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()

    torch.manual_seed(0)
    data = torch.randn(256, 12)
    encoder, decoder = build(data.shape[1], args.latent)
    optimizer = optim.RMSprop([*encoder.parameters(), *decoder.parameters()], lr=args.lr)
    for epoch in range(args.epochs):
        for batch in data.split(64):
            optimizer.zero_grad()
            recon = decoder(encoder(batch))
            loss = nn.functional.mse_loss(recon, batch)
            loss.backward()
            optimizer.step()
        if epoch % 5 == 0:
            print(epoch, loss.item())


if __name__ == "__main__":
    main()
