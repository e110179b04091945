"""Lightning with strategy="ddp" (Lightning runs the script again for each rank) on two CPU
processes: a denoising autoencoder keeps a `noise_level` head that training_step never calls;
Lightning's DDP stops at the second step ("It looks like your LightningModule has parameters that
were not used in producing the loss returned by training_step")."""
import lightning.pytorch as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Denoiser(pl.LightningModule):
    def __init__(self, width=10, code=4, noise=0.1):
        super().__init__()
        self.noise = noise
        self.encoder = nn.Sequential(nn.Linear(width, 16), nn.ELU(), nn.Linear(16, code))
        self.decoder = nn.Sequential(nn.Linear(code, 16), nn.ELU(), nn.Linear(16, width))

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def training_step(self, batch, batch_idx):
        (clean,) = batch
        noisy = clean + self.noise * torch.randn_like(clean)
        return nn.functional.mse_loss(self(noisy), clean)

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=3e-3)


def main():
    pl.seed_everything(11)
    signals = TensorDataset(torch.randn(96, 10))
    trainer = pl.Trainer(
        accelerator="cpu", devices=2, strategy="ddp", max_steps=4,
        logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
    )
    trainer.fit(Denoiser(), DataLoader(signals, batch_size=12, shuffle=True))


if __name__ == "__main__":
    main()
