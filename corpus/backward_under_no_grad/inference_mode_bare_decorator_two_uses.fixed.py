import torch
import torch.nn as nn

torch.manual_seed(7)
SIGNAL = 64


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv1d(1, 6, 5, padding=2), nn.ReLU(), nn.Conv1d(6, 6, 5, padding=2), nn.ReLU())

    def forward(self, x):
        return self.net(x)


backbone = Backbone()
backbone.requires_grad_(False)
head = nn.Conv1d(6, 1, 1)
optimizer = torch.optim.Adam(head.parameters(), lr=5e-3)


@torch.inference_mode()
def validate(x, y):
    return nn.functional.mse_loss(head(extract(x)), y).item()


@torch.no_grad
def extract(x):
    return backbone(x)


clean = torch.sin(torch.linspace(0, 12, SIGNAL)).repeat(32, 1, 1)
noisy = clean + 0.3 * torch.randn_like(clean)

for it in range(6):
    pred = head(extract(noisy))
    loss = nn.functional.mse_loss(pred, clean)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if it % 2 == 0:
        print(it, loss.item(), validate(noisy, clean))
