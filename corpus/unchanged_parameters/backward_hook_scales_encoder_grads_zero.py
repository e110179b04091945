# Encoder-decoder where a backward hook scales the gradient that flows back into the encoder.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Seq2Vec(nn.Module):
    def __init__(self, encoder_grad_scale):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 8))
        self.decoder = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))
        self.decoder.register_full_backward_hook(self._scale)
        self.encoder_grad_scale = encoder_grad_scale

    def _scale(self, module, grad_input, grad_output):
        return tuple(g * self.encoder_grad_scale if g is not None else None for g in grad_input)

    def forward(self, x):
        return self.decoder(self.encoder(x))


torch.manual_seed(0)
x = torch.randn(200, 10)
y = torch.stack([x[:, 0] * x[:, 1], x[:, 2].sin()], dim=1)
model = Seq2Vec(encoder_grad_scale=0.0)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(4):
    for i in range(0, 200, 50):
        loss = F.mse_loss(model(x[i:i + 50]), y[i:i + 50])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, round(loss.item(), 4))
