"""A sequence autoencoder with separate optimizers (and learning rates) for the encoder and the
decoder, one GradScaler for both. The encoder's update is held back while its gradients spike."""
import torch
from torch import nn, optim
from torch.amp import GradScaler, autocast

torch.manual_seed(3)
VOCAB, DIM = 50, 32


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.proj = nn.Linear(DIM, DIM)

    def forward(self, tokens):
        return torch.tanh(self.proj(self.embed(tokens).mean(1)))


class Decoder(nn.Module):
    def __init__(self, length):
        super().__init__()
        self.length = length
        self.out = nn.Linear(DIM, length * VOCAB)

    def forward(self, code):
        return self.out(code).view(-1, self.length, VOCAB)


encoder, decoder = Encoder(), Decoder(length=8)
opt_enc = optim.Adam(encoder.parameters(), lr=1e-3)
opt_dec = optim.Adam(decoder.parameters(), lr=3e-3)
scaler = GradScaler("cpu")
enc_limit = 0.085

for it in range(30):
    tokens = torch.randint(0, VOCAB, (32, 8))
    with autocast("cpu", dtype=torch.bfloat16):
        logits = decoder(encoder(tokens))
    loss = nn.functional.cross_entropy(logits.float().reshape(-1, VOCAB), tokens.reshape(-1))

    opt_enc.zero_grad()
    opt_dec.zero_grad()
    scaler.scale(loss).backward()
    scaler.unscale_(opt_dec)
    scaler.unscale_(opt_enc)
    dec_norm = nn.utils.clip_grad_norm_(decoder.parameters(), 1.0)
    enc_norm = nn.utils.clip_grad_norm_(encoder.parameters(), 1.0)
    scaler.step(opt_dec)
    if enc_norm > enc_limit:
        # the encoder waits for calmer gradients; the decoder keeps learning
        scaler.update()
        continue
    scaler.step(opt_enc)
    scaler.update()
    if it % 10 == 0:
        print(f"it {it}: loss {loss.item():.3f} enc {enc_norm:.3f} dec {dec_norm:.3f}")
