# A streaming trainer for a GRU forecaster whose state is (hidden, steps_seen): a tensor and a
# plain counter. The state returned for one batch is fed into the next.
import torch
import torch.nn as nn


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRUCell(3, 24)
        self.head = nn.Linear(24, 3)

    def forward(self, seq, state):
        hidden, seen = state
        for x in seq:
            hidden = self.gru(x, hidden)
        return self.head(hidden), (hidden, seen + len(seq))


class StreamTrainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)

    def fit(self, series, window=12):
        state = (torch.zeros(4, 24), 0)
        for start in range(0, series.shape[0] - window - 1, window):
            seq = series[start : start + window]
            prediction, state = self.model(seq, state)
            loss = nn.functional.l1_loss(prediction, series[start + window])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return state[1]


series = torch.cumsum(torch.randn(200, 4, 3) * 0.1, dim=0)
print(StreamTrainer(Forecaster()).fit(series))
