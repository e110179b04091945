"""A stateful GRU that keeps its hidden state on the module between batches of one long series,
and detaches it where it stores it: truncated BPTT done right, and a validation pass that resets
the state first."""
import torch
import torch.nn as nn


class StatefulGRU(nn.Module):
    def __init__(self, features=3, hidden=16):
        super().__init__()
        self.gru = nn.GRU(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, features)
        self.hidden = None

    def reset_state(self):
        self.hidden = None

    def forward(self, x):
        out, hidden = self.gru(x, self.hidden)
        self.hidden = hidden.detach()
        return self.head(out)


torch.manual_seed(9)
series = torch.cumsum(torch.randn(4, 400, 3) * 0.1, dim=1)
model = StatefulGRU()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(2):
    model.reset_state()
    for start in range(0, 380, 20):
        x, y = series[:, start : start + 20], series[:, start + 1 : start + 21]
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.reset_state()
    with torch.no_grad():
        val = nn.functional.mse_loss(model(series[:, :-1]), series[:, 1:])
    print(f"epoch {epoch}: train {loss.item():.4f} val {val.item():.4f}")
