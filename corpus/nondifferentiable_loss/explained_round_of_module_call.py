import torch
import torch.nn as nn


class Bucketizer(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 4), nn.Dropout(0.1))
        self.decoder = nn.Linear(4, 10)

    def forward(self, x):
        # written twice, self.encoder(x) would run twice (two dropout masks): no mechanical fix
        return self.decoder(torch.round(self.encoder(x)))


torch.manual_seed(4)
data = torch.randn(256, 10)
model = Bucketizer()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(3):
    for batch in data.split(32):
        loss = nn.functional.mse_loss(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")
