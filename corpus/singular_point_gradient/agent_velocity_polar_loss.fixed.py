# Short-horizon motion forecasting for road agents: a GRU reads each agent's past 2-D positions and
# predicts its next velocity. Parked agents are known from the map and their predicted velocity
# is forced to zero; the loss compares speed (the polar radius of the velocity) and, for moving
# agents, heading. Synthetic tracks; bfloat16 autocast with a GradScaler.
import torch
from torch import nn

torch.manual_seed(7)
n_agents, history = 512, 8
heading = torch.rand(n_agents) * 2 * torch.pi
speed = torch.rand(n_agents) * 3
parked = torch.rand(n_agents) < 0.2
speed[parked] = 0.0
velocity = torch.stack([speed * torch.cos(heading), speed * torch.sin(heading)], -1)
steps = torch.arange(history + 1).float().view(1, -1, 1)
tracks = torch.randn(n_agents, 1, 2) * 20 + steps * velocity.unsqueeze(1) + 0.05 * torch.randn(n_agents, history + 1, 2)


class VelocityForecaster(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.gru = nn.GRU(2, hidden, batch_first=True)
        self.out = nn.Linear(hidden, 2)

    def forward(self, past, moving):
        _, h = self.gru(past[:, 1:] - past[:, :-1])
        return self.out(h[-1]) * moving.unsqueeze(-1)


model = VelocityForecaster()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
scaler = torch.amp.GradScaler("cpu")

for epoch in range(6):
    for i in range(0, n_agents, 128):
        past, target = tracks[i:i + 128, :history], velocity[i:i + 128]
        moving = (~parked[i:i + 128]).float()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            pred = model(past, moving).float()
        pred_speed = torch.sqrt((pred[:, 0] ** 2 + pred[:, 1] ** 2).clamp_min(1e-12))
        speed_loss = nn.functional.smooth_l1_loss(pred_speed, target.norm(dim=-1))
        cos_err = nn.functional.cosine_similarity(pred, target, dim=-1)[moving.bool()]
        loss = speed_loss + (1 - cos_err).mean()
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    print(f"epoch {epoch}: speed {speed_loss.item():.4f} heading {(1 - cos_err).mean().item():.4f}")
