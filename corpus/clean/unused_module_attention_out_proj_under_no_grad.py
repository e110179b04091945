# Correct: a transformer feature extractor run under no_grad (its weights are not trained here)
# and a trained head. MultiheadAttention uses out_proj's weight without calling out_proj, so that
# layer never "runs" as a module: torch's design, not an unused layer.
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.embed = nn.Linear(8, dim)
        self.layer = nn.TransformerEncoderLayer(dim, nhead=2, dim_feedforward=32, batch_first=True)

    def forward(self, x):
        return self.layer(self.embed(x)).mean(1)


encoder = Encoder()
head = nn.Linear(16, 3)
optimizer = torch.optim.Adam(head.parameters(), lr=1e-2)
x, y = torch.randn(32, 6, 8), torch.randint(0, 3, (32,))
for step in range(20):
    with torch.no_grad():
        features = encoder(x)
    optimizer.zero_grad()
    nn.functional.cross_entropy(head(features), y).backward()
    optimizer.step()
