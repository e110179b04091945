import torch

import models

torch.manual_seed(0)
encoder = models.Encoder(20, 4)
decoder = models.Decoder(4, 20)
params = list(encoder.parameters()) + list(decoder.parameters())
optimizer = torch.optim.Adam(params, lr=1e-3)

data = torch.randn(100, 20)
for epoch in range(3):
    for batch in data.split(25):
        recon = decoder(encoder(batch))
        loss = torch.nn.functional.mse_loss(recon, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
