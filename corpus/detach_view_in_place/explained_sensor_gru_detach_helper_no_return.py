"""Vibration forecasting for a set of pump bearings: a stateful GRU reads the accelerometer
stream in windows; a small helper cuts the carried state at each window border."""
import torch
import torch.nn as nn

torch.manual_seed(2)

N_PUMPS, LENGTH, WINDOW, HIDDEN, LAYERS, EPOCHS = 16, 800, 40, 48, 2, 3


def vibration(n, length):
    t = torch.arange(length).float()
    rpm = 0.2 + 0.05 * torch.rand(n, 1)
    wear = torch.linspace(0, 1, length) * torch.rand(n, 1)
    sig = torch.sin(rpm * t) + 0.3 * wear * torch.sin(3.1 * rpm * t) + 0.05 * torch.randn(n, length)
    return sig.unsqueeze(-1)


def detach_hidden(hidden):
    """Cut the graph behind the carried state (works for GRU and LSTM states)."""
    for h in hidden:
        h.detach_()


class Forecaster(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(1, HIDDEN, LAYERS, batch_first=True)
        self.out = nn.Linear(HIDDEN, 1)

    def forward(self, x, hidden=None):
        y, hidden = self.rnn(x, hidden)
        return self.out(y), hidden


def main():
    series = vibration(N_PUMPS, LENGTH)
    model = Forecaster()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.MSELoss()
    for epoch in range(EPOCHS):
        hidden = None
        losses = []
        for start in range(0, LENGTH - WINDOW - 1, WINDOW):
            x = series[:, start:start + WINDOW]
            y = series[:, start + 1:start + WINDOW + 1]
            if hidden is not None:
                detach_hidden(hidden)
            pred, hidden = model(x, hidden)
            loss = loss_fn(pred, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        print(f"epoch {epoch}: mse {sum(losses) / len(losses):.4f}")


if __name__ == "__main__":
    main()
