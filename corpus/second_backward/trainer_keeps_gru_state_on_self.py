"""Online load forecasting: a Trainer feeds hourly windows of one meter's readings to a GRU and
keeps the GRU's state on itself, so the next window continues where the last one ended."""
import torch
import torch.nn as nn


class LoadForecaster(nn.Module):
    def __init__(self, features=5, hidden=20):
        super().__init__()
        self.gru = nn.GRU(features, hidden, num_layers=2)
        self.out = nn.Linear(hidden, 1)

    def forward(self, window, state):
        seq, state = self.gru(window, state)
        return self.out(seq[-1]), state


class OnlineTrainer:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.loss_fn = nn.L1Loss()
        self.state = None

    def run(self, readings, targets, window=24):
        losses = []
        for start in range(0, readings.size(0) - window, window):
            x = readings[start : start + window]
            y = targets[start + window - 1]
            prediction, self.state = self.model(x, self.state)
            loss = self.loss_fn(prediction, y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return sum(losses) / len(losses)


if __name__ == "__main__":
    torch.manual_seed(7)
    hours = torch.arange(24 * 30, dtype=torch.float32)
    readings = torch.stack([torch.sin(hours * 2 * torch.pi / 24 + k) for k in range(5)], dim=1).unsqueeze(1)
    targets = readings[:, :, :1].sum(dim=2) + 0.05 * torch.randn(hours.numel(), 1)
    trainer = OnlineTrainer(LoadForecaster())
    for day in range(3):
        print(f"pass {day}: {trainer.run(readings, targets):.4f}")
