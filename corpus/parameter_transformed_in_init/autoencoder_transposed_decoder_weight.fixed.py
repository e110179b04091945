# A linear autoencoder (PCA-like) whose decoder weight is made transposed, so that the decode is
# a plain matrix product; the encoder is an nn.Linear.
import torch
import torch.nn as nn

torch.manual_seed(0)


class LinearAutoencoder(nn.Module):
    def __init__(self, n_inputs, n_codes):
        super().__init__()
        self.encoder = nn.Linear(n_inputs, n_codes, bias=False)
        self.raw_decoder_weight = nn.Parameter(torch.randn(n_inputs, n_codes) * 0.1)
        self.decoder_bias = nn.Parameter(torch.zeros(n_inputs))

    @property
    def decoder_weight(self):
        return self.raw_decoder_weight.t()

    def forward(self, x):
        codes = self.encoder(x)
        return codes @ self.decoder_weight + self.decoder_bias


basis = torch.linalg.qr(torch.randn(16, 3))[0]
data = torch.randn(1000, 3) @ basis.t() + 0.05 * torch.randn(1000, 16)
model = LinearAutoencoder(16, 3)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)

for epoch in range(6):
    for batch in data.split(100):
        loss = ((model(batch) - batch) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: reconstruction {loss.item():.4f}")
