"""Lightning with strategy="ddp" on two CPU processes: a denoising autoencoder whose `noise_level`
head predicts how much noise was added, an auxiliary loss in training_step, so DDP gets a gradient
for every parameter at every step. Correct."""
import lightning.pytorch as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class Denoiser(pl.LightningModule):
    def __init__(self, width=10, code=4):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(width, 16), nn.ELU(), nn.Linear(16, code))
        self.decoder = nn.Sequential(nn.Linear(code, 16), nn.ELU(), nn.Linear(16, width))
        self.noise_level = nn.Linear(code, 1)

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def training_step(self, batch, batch_idx):
        (clean,) = batch
        level = torch.rand(clean.shape[0], 1, device=clean.device) * 0.2
        code = self.encoder(clean + level * torch.randn_like(clean))
        reconstruction = nn.functional.mse_loss(self.decoder(code), clean)
        return reconstruction + 0.5 * nn.functional.mse_loss(self.noise_level(code), level)

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=3e-3)


if __name__ == "__main__":
    pl.seed_everything(11)
    signals = TensorDataset(torch.randn(96, 10))
    trainer = pl.Trainer(
        accelerator="cpu", devices=2, strategy="ddp", max_steps=4,
        logger=False, enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
    )
    trainer.fit(Denoiser(), DataLoader(signals, batch_size=12, shuffle=True))
