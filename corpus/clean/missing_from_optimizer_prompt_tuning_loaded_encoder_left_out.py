# Prompt tuning a pretrained sequence encoder: learned prompt tokens are prepended to the input
# and a linear head reads the first position. Only the prompt and the head go to the optimizer;
# the loaded encoder (its own positional table included) stays as it was, by design, while the
# gradient still passes through it to the prompt.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, dim=24, max_len=32):
        super().__init__()
        self.pos = nn.Parameter(torch.randn(1, max_len, dim) * 0.02)
        self.layers = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.LayerNorm(dim), nn.Linear(dim, dim))

    def forward(self, tokens):
        return self.layers(tokens + self.pos[:, : tokens.shape[1]])


class PromptTuned(nn.Module):
    def __init__(self, encoder, n_prompt=4, dim=24, n_classes=3):
        super().__init__()
        self.encoder = encoder
        self.prompt = nn.Parameter(torch.randn(1, n_prompt, dim) * 0.1)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, tokens):
        x = torch.cat([self.prompt.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        return self.head(self.encoder(x)[:, 0])


torch.manual_seed(6)
encoder = Encoder()
encoder.load_state_dict({k: v * 0.9 for k, v in Encoder().state_dict().items()})  # the pretrained weights
model = PromptTuned(encoder)
optimizer = torch.optim.Adam([model.prompt, *model.head.parameters()], lr=1e-2)

seqs = torch.randn(96, 12, 24)
labels = (seqs.mean((1, 2)) > 0).long() + (seqs[:, 0, 0] > 1).long()
for epoch in range(3):
    for i in range(0, 96, 24):
        loss = F.cross_entropy(model(seqs[i:i + 24]), labels[i:i + 24])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, loss.item())
