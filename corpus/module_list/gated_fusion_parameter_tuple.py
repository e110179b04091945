# Gated fusion of two feature streams, its two gate vectors kept as a tuple of Parameters.
import torch
import torch.nn as nn


class GatedFusion(nn.Module):
    def __init__(self, dim=12):
        super().__init__()
        self.audio = nn.Linear(20, dim)
        self.video = nn.Linear(30, dim)
        self.gates = (nn.Parameter(torch.zeros(dim)), nn.Parameter(torch.zeros(dim)))
        self.out = nn.Linear(dim, 3)

    def forward(self, a, v):
        ga, gv = (torch.sigmoid(g) for g in self.gates)
        return self.out(ga * self.audio(a) + gv * self.video(v))


fusion = GatedFusion()
optimizer = torch.optim.AdamW(fusion.parameters(), lr=1e-2)
a, v, y = torch.randn(48, 20), torch.randn(48, 30), torch.randint(0, 3, (48,))
for step in range(30):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(fusion(a, v), y)
    loss.backward()
    optimizer.step()
