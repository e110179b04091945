# Denoising autoencoder for 1-d signals: the decoder is fitted first against a frozen encoder,
# then finetune() gives the encoder its own, smaller learning rate.
import torch
import torch.nn as nn


class AutoEncoder(nn.Module):
    def __init__(self, n=32, code=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n, 24), nn.SiLU(), nn.Linear(24, code))
        self.decoder = nn.Sequential(nn.Linear(code, 24), nn.SiLU(), nn.Linear(24, n))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def fit(model, optimizer, data, epochs):
    for _ in range(epochs):
        for clean in data.split(16):
            noisy = clean + 0.1 * torch.randn_like(clean)
            loss = nn.functional.mse_loss(model(noisy), clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return loss.item()


def pretrain_decoder(model, data):
    model.encoder.requires_grad_(False)
    optimizer = torch.optim.Adam(model.decoder.parameters(), lr=1e-2)
    return fit(model, optimizer, data, 4)


def finetune(model, data):
    model.encoder.requires_grad_(True)
    optimizer = torch.optim.Adam([
        {"params": model.encoder.parameters(), "lr": 1e-4},
        {"params": model.decoder.parameters(), "lr": 1e-3},
    ])
    return fit(model, optimizer, data, 4)


if __name__ == "__main__":
    torch.manual_seed(0)
    t = torch.linspace(0, 6.28, 32)
    data = torch.stack([torch.sin(t * k) for k in torch.linspace(0.5, 3.0, 64)])
    net = AutoEncoder()
    print("decoder only", pretrain_decoder(net, data))
    print("both", finetune(net, data))
