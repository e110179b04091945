import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class FunctionalMLP(nn.Module):
    """Keeps its weights as buffers so that a hypernetwork step can hand in replacements."""

    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.register_buffer("w1", (torch.randn(n_hidden, n_in) * n_in ** -0.5).requires_grad_())
        self.register_buffer("b1", torch.zeros(n_hidden).requires_grad_())
        self.register_buffer("w2", (torch.randn(n_out, n_hidden) * n_hidden ** -0.5).requires_grad_())

    def weights(self):
        return [self.w1, self.b1, self.w2]

    def forward(self, x, weights=None):
        w1, b1, w2 = weights if weights is not None else self.weights()
        return F.linear(torch.tanh(F.linear(x, w1, b1)), w2)


model = FunctionalMLP(8, 16, 1)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
x = torch.randn(64, 8)
y = x.sum(1, keepdim=True)
for step in range(20):
    loss = F.mse_loss(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
