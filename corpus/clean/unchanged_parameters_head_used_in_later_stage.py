# Two stages with one optimizer: an autoencoder is pretrained first, then the classifier head
# (held by the optimizer from the start) is trained on top of the encoder.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 8))
        self.decoder = nn.Linear(8, 20)
        self.classifier = nn.Linear(8, 3)


torch.manual_seed(0)
x = torch.randn(240, 20)
y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()
model = Model()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

# stage 1: reconstruction only
for epoch in range(5):
    for i in range(0, 240, 60):
        recon = model.decoder(model.encoder(x[i:i + 60]))
        loss = F.mse_loss(recon, x[i:i + 60])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print("pretrain", epoch, round(loss.item(), 4))

# stage 2: classification on the learned features
for epoch in range(5):
    for i in range(0, 240, 60):
        logits = model.classifier(model.encoder(x[i:i + 60]))
        loss = F.cross_entropy(logits, y[i:i + 60])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print("classify", epoch, round(loss.item(), 4))
