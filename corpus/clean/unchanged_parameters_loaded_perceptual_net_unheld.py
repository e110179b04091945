"""Super-resolution with a perceptual loss: a loaded feature network compares the output with the
target. Its requires_grad was left on, so it receives gradients, but no optimizer holds it and
nothing should: it is a fixed measuring instrument. Correct: only the generator trains."""
import io

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
generator = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Upsample(scale_factor=2), nn.Conv2d(16, 3, 3, padding=1),
)
optimizer = torch.optim.Adam(generator.parameters(), lr=1e-3)

feature_net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1))
weights = io.BytesIO()
torch.save(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1)).state_dict(), weights)
weights.seek(0)
feature_net.load_state_dict(torch.load(weights))
feature_net.eval()

high = torch.rand(8, 3, 16, 16)
low = F.avg_pool2d(high, 2)
for step in range(10):
    out = generator(low)
    loss = F.l1_loss(out, high) + 0.1 * F.mse_loss(feature_net(out), feature_net(high))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
