# Report: https://github.com/MorvanZhou/PyTorch-Tutorial/issues/57
# What goes wrong: the RNN hidden state returned by one step is fed into the next step without
# being cut from the old graph, so the second loss.backward() walks into the already-freed graph
# of the previous step -> "Trying to backward through the graph a second time".
import math

import torch
import torch.nn as nn

TIME_STEP = 10
INPUT_SIZE = 1
LR = 0.02


class RNNRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(input_size=INPUT_SIZE, hidden_size=32, num_layers=1, batch_first=True)
        self.out = nn.Linear(32, 1)

    def forward(self, x, h_state):
        r_out, h_state = self.rnn(x, h_state)
        outs = self.out(r_out)  # (batch, time_step, 1)
        return outs, h_state


def sin_cos_window(step):
    start, end = step * math.pi, (step + 1) * math.pi
    steps = torch.linspace(start, end, TIME_STEP)
    x = torch.sin(steps).view(1, TIME_STEP, 1)
    y = torch.cos(steps).view(1, TIME_STEP, 1)
    return x, y


def train(rnn, n_steps=60):
    optimizer = torch.optim.Adam(rnn.parameters(), lr=LR)
    loss_func = nn.MSELoss()
    h_state = None  # initial hidden state
    for step in range(n_steps):
        x, y = sin_cos_window(step)
        prediction, h_state = rnn(x, h_state)
        loss = loss_func(prediction, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step:2d}  loss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(1)
    train(RNNRegressor())
