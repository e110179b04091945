"""An echo-state network: the input and recurrent reservoir weights are random and fixed by design
(plain tensors), and only the linear readout is trained."""
import torch
import torch.nn as nn


class EchoState(nn.Module):
    def __init__(self, n_in, n_reservoir, spectral_radius=0.9):
        super().__init__()
        self.n_reservoir = n_reservoir
        self.W_in = torch.rand(n_in, n_reservoir) - 0.5
        recurrent = torch.randn(n_reservoir, n_reservoir)
        self.W_res = recurrent * (spectral_radius / torch.linalg.eigvals(recurrent).abs().max())
        self.readout = nn.Linear(n_reservoir, 1)

    def forward(self, seq):
        state = torch.zeros(seq.size(0), self.n_reservoir)
        for t in range(seq.size(1)):
            state = torch.tanh(seq[:, t] @ self.W_in + state @ self.W_res)
        return self.readout(state)


torch.manual_seed(0)
seq = torch.randn(64, 20, 1)
target = seq[:, -3:, 0].sum(1, keepdim=True)
model = EchoState(1, 100)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(50):
    loss = nn.functional.mse_loss(model(seq), target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print("mse", loss.item())
