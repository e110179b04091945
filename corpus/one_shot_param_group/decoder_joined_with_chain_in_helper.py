# A two-phase autoencoder: the encoder first learns alone through an auxiliary head, then a
# helper builds the decoder and joins it to the last group with itertools.chain. A chain is an
# iterator: the first zero_grad() of phase two empties it, and nothing after it trains.
import itertools

import torch
import torch.nn as nn

torch.manual_seed(0)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(20, 8), nn.Tanh())
        self.aux = nn.Linear(8, 20)
        self.decoder = None

    def forward(self, x):
        code = self.encoder(x)
        return self.aux(code) if self.decoder is None else self.decoder(code)


def add_decoder(model, optimizer):
    model.decoder = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 20))
    optimizer.param_groups[-1]["params"] = itertools.chain(model.encoder.parameters(), model.decoder.parameters())


def run_phase(model, optimizer, data, epochs):
    for epoch in range(epochs):
        for batch in data:
            optimizer.zero_grad()
            loss = (model(batch) - batch).pow(2).mean()
            loss.backward()
            optimizer.step()
    return loss.item()


data = [torch.randn(16, 20) for _ in range(4)]
model = AutoEncoder()
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
print("phase 1", run_phase(model, optimizer, data, epochs=2))
add_decoder(model, optimizer)
print("phase 2", run_phase(model, optimizer, data, epochs=2))
