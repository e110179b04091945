"""A sensor-forecasting trainer: a GRU reads a long multichannel stream window by window and
keeps its hidden state between windows."""
import math

import torch
import torch.nn as tnn
from torch import optim as O

torch.manual_seed(0)


class Forecaster(tnn.Module):
    def __init__(self, channels=3, hidden=24):
        super().__init__()
        self.gru = tnn.GRU(channels, hidden)
        self.out = tnn.Linear(hidden, channels)

    def forward(self, window, state=None):
        seq, state = self.gru(window, state)
        return self.out(seq), state


class Trainer:
    def __init__(self, model, lr=3e-3, window=12):
        self.model = model
        self.window = window
        self.optimizer = O.RMSprop(model.parameters(), lr=lr)
        self.loss_fn = tnn.SmoothL1Loss()

    def fit(self, stream):
        state = None
        position = 0
        while position + self.window + 1 < stream.size(0):
            window = stream[position : position + self.window]
            target = stream[position + 1 : position + self.window + 1]
            prediction, state = self.model(window, state)
            loss = self.loss_fn(prediction, target)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            position += self.window
        return loss.item()


t = torch.arange(0, 400, dtype=torch.float32).unsqueeze(1) * 0.1
stream = torch.cat([torch.sin(t), torch.cos(t), torch.sin(t / 3)], dim=1).unsqueeze(1)
print(Trainer(Forecaster()).fit(stream + 0.01 * torch.randn_like(stream)), math.pi)
