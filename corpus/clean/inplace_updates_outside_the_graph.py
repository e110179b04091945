"""In-place updates that autograd does not mind: a bias added in place to a linear layer's output
(AddmmBackward keeps its inputs, not its output), running statistics kept in a buffer, and
weights clipped in place under no_grad after each step (WGAN-style)."""
import torch
from torch import nn


class Critic(nn.Module):
    def __init__(self, dim=8, hidden=32):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, 1)
        self.register_buffer("running_mean", torch.zeros(dim))

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.running_mean.mul_(0.9).add_(0.1 * x.mean(dim=0))
        h = self.fc1(x - self.running_mean)
        h += 0.1  # a fixed shift, in place on the layer's output
        h.mul_(2.0)
        return self.fc2(torch.relu(h))


critic = Critic()
optimizer = torch.optim.RMSprop(critic.parameters(), lr=5e-4)
real = torch.randn(64, 8) + 1.0
fake = torch.randn(64, 8)
for step in range(8):
    loss = critic(fake).mean() - critic(real).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-0.05, 0.05)
    print(step, loss.item())
