# Denoising autoencoder with heavy input dropout (90% of the features dropped in training) and a
# dropout module before the head: high rates, not 1, so gradients still reach every layer.
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = {"input_dropout": 0.9, "dropout": 0.5}


class DAE(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(32, 16), nn.ReLU())
        self.dropout = nn.Dropout(cfg["dropout"])
        self.decoder = nn.Linear(16, 32)
        self.p = cfg["input_dropout"]

    def forward(self, x):
        return self.decoder(self.dropout(self.encoder(F.dropout(x, self.p, training=self.training))))


torch.manual_seed(0)
data = torch.randn(256, 32)
model = DAE(CONFIG)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(3):
    model.train()
    for i in range(0, 256, 32):
        loss = F.mse_loss(model(data[i:i + 32]), data[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
