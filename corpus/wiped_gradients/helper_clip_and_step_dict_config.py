# Denoising autoencoder; the optimizer step lives in a small helper shared by the training scripts.
import torch
import torch.nn as nn

cfg = {"lr": 3e-3, "epochs": 3, "batch_size": 32, "noise": 0.2}


def clip_and_step(model, optimizer, max_norm):
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()


class AutoEncoder(nn.Module):
    def __init__(self, dim=20, code=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(dim, 12), nn.ReLU(), nn.Linear(12, code))
        self.decoder = nn.Sequential(nn.Linear(code, 12), nn.ReLU(), nn.Linear(12, dim))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def train(data):
    model = AutoEncoder()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=cfg["lr"])
    for epoch in range(cfg["epochs"]):
        for batch in data.split(cfg["batch_size"]):
            noisy = batch + cfg["noise"] * torch.randn_like(batch)
            loss = nn.functional.mse_loss(model(noisy), batch)
            optimizer.zero_grad()
            loss.backward()
            clip_and_step(model, optimizer, cfg.get("grad_clip", 0.0))
        print(f"epoch {epoch}: reconstruction {loss.item():.4f}")
    return model


if __name__ == "__main__":
    torch.manual_seed(4)
    train(torch.randn(128, 20))
