"""An autoencoder trainer with one optimizer for the encoder and one for the decoder (different
learning rates). It zeroes gradients through the model, back-propagates the reconstruction loss
into both halves, and steps only the encoder's optimizer: the decoder never changes."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 3))
        self.decoder = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 16))

    def forward(self, x):
        return self.decoder(self.encoder(x))


class Trainer:
    def __init__(self, model):
        self.model = model
        self.encoder_optimizer = torch.optim.Adam(model.encoder.parameters(), lr=1e-3)
        self.decoder_optimizer = torch.optim.Adam(model.decoder.parameters(), lr=3e-3)

    def train_step(self, batch):
        self.model.zero_grad()
        loss = F.mse_loss(self.model(batch), batch)
        loss.backward()
        self.decoder_optimizer.step()
        self.encoder_optimizer.step()
        return loss.item()


trainer = Trainer(AutoEncoder())
data = torch.randn(64, 16)
for epoch in range(3):
    for i in range(0, 64, 16):
        loss = trainer.train_step(data[i:i + 16])
    print(f"epoch {epoch}: loss {loss:.4f}")
