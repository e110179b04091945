# Sequence regression with an LSTM: micro-batches are counted by hand, but the counter
# is reset at the start of every epoch, and an epoch (5 batches) is shorter than the accumulation.
import torch
import torch.nn as nn


class SeqRegressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 16, batch_first=True)
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.out(h[:, -1])


def batches(x, y, size):
    for i in range(0, len(x), size):
        yield x[i:i + size], y[i:i + size]


def main(epochs=4, accumulate=8):
    torch.manual_seed(0)
    x = torch.randn(80, 10, 3)
    y = x.sum(dim=(1, 2)).unsqueeze(1) * 0.1
    model = SeqRegressor()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
    micro = 0
    for epoch in range(epochs):
        for xb, yb in batches(x, y, 16):
            loss = nn.functional.mse_loss(model(xb), yb) / accumulate
            loss.backward()
            micro += 1
            if micro == accumulate:
                optimizer.step()
                optimizer.zero_grad()
                micro = 0
        print(f"epoch {epoch}: loss {loss.item() * accumulate:.4f}")


if __name__ == "__main__":
    main()
