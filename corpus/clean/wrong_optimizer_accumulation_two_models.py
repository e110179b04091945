# Encoder and decoder with their own optimizers (different learning rates); gradients are
# accumulated over four micro-batches before both step.
import torch
import torch.nn as nn

torch.manual_seed(0)
ACCUM = 4
tokens = torch.randn(256, 16)

encoder = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
decoder = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 16))
enc_opt = torch.optim.Adam(encoder.parameters(), lr=1e-3)
dec_opt = torch.optim.SGD(decoder.parameters(), lr=5e-2, momentum=0.9)

for epoch in range(3):
    for i, start in enumerate(range(0, 256, 16)):
        batch = tokens[start:start + 16]
        loss = nn.functional.mse_loss(decoder(encoder(batch)), batch) / ACCUM
        loss.backward()
        if (i + 1) % ACCUM == 0:
            for opt in (dec_opt, enc_opt):
                opt.step()
                opt.zero_grad()
    print(epoch, round(loss.item() * ACCUM, 4))
