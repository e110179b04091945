"""Traffic flow forecasting at road sensors: a GRU carries its state across consecutive
one-hour windows of 5-minute counts (truncated BPTT)."""
import math

import torch
from torch import nn

torch.manual_seed(8)

SENSORS, STEPS_PER_DAY, DAYS = 20, 288, 3
WINDOW, HIDDEN, LAYERS, EPOCHS = 12, 64, 2, 3


def traffic_counts():
    t = torch.arange(STEPS_PER_DAY * DAYS).float()
    morning = torch.exp(-((t % STEPS_PER_DAY - 96) ** 2) / 300)
    evening = torch.exp(-((t % STEPS_PER_DAY - 210) ** 2) / 400)
    capacity = 0.5 + torch.rand(SENSORS, 1)
    flow = capacity * (0.2 + morning + 0.8 * evening) + 0.05 * torch.randn(SENSORS, t.numel())
    return flow.unsqueeze(-1)


class FlowGRU(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, HIDDEN, num_layers=LAYERS, batch_first=True)
        self.fc = nn.Linear(HIDDEN, 1)

    def forward(self, x, state):
        out, state = self.gru(x, state)
        return self.fc(out), state


def main():
    flow = traffic_counts()
    model = FlowGRU()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(EPOCHS):
        state = torch.zeros(LAYERS, SENSORS, HIDDEN)
        total = 0.0
        n = 0
        for start in range(0, flow.shape[1] - WINDOW - 1, WINDOW):
            x, y = flow[:, start:start + WINDOW], flow[:, start + 1:start + WINDOW + 1]
            [s.detach_() for s in state]
            pred, state = model(x, state)
            loss = nn.functional.mse_loss(pred, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            n += 1
        print(f"epoch {epoch}: rmse {math.sqrt(total / n):.4f}")


if __name__ == "__main__":
    main()
