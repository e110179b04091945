# Correct: the whole encoder module is loaded from a checkpoint and frozen as a whole; the fresh
# projection head sits outside it and trains.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(60, 12)
        self.mix = nn.Linear(12, 12)

    def forward(self, tokens):
        return torch.relu(self.mix(self.embed(tokens))).mean(1)


torch.manual_seed(0)
encoder = Encoder()
encoder.load_state_dict(Encoder().state_dict())  # the pretrained checkpoint in the real script
for p in encoder.parameters():
    p.requires_grad = False
head = nn.Linear(12, 2)
optimizer = torch.optim.Adam([p for m in (encoder, head) for p in m.parameters() if p.requires_grad], lr=1e-2)
for step in range(20):
    tokens = torch.randint(0, 60, (16, 7))
    loss = F.cross_entropy(head(encoder(tokens)), (tokens.sum(1) % 2))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
