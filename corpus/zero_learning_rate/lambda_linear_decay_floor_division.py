# Transformer-encoder regressor with a hand-written linear decay of the learning rate.
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import LambdaLR

torch.manual_seed(0)
EPOCHS = 30
seq = torch.randn(160, 12, 16)
target = seq.mean(dim=(1, 2)).unsqueeze(1)


class SeqRegressor(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=32, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1)
        self.head = nn.Linear(dim, 1)

    def forward(self, x):
        return self.head(self.encoder(x).mean(dim=1))


model = SeqRegressor()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
# decay linearly to 0 over the run
scheduler = LambdaLR(optimizer, lambda epoch: (EPOCHS - epoch) // EPOCHS)

for epoch in range(EPOCHS):
    for i in range(0, 160, 40):
        loss = nn.functional.mse_loss(model(seq[i:i + 40]), target[i:i + 40])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(epoch, f"{loss.item():.4f}", scheduler.get_last_lr())
