"""Fit a diagonal Gaussian mixture by maximum likelihood; samples drawn along the way are only watched."""
import torch
import torch.distributions as td
import torch.nn as nn


class GaussianMixture(nn.Module):
    def __init__(self, k=3, dim=2):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(k))
        self.means = nn.Parameter(torch.randn(k, dim))
        self.log_scales = nn.Parameter(torch.zeros(k, dim))

    def distribution(self):
        components = td.Independent(td.Normal(self.means, self.log_scales.exp()), 1)
        return td.MixtureSameFamily(td.Categorical(logits=self.logits), components)


torch.manual_seed(0)
true_means = torch.tensor([[-3.0, 0.0], [2.0, 2.0], [2.0, -2.0]])
data = true_means[torch.randint(0, 3, (2000,))] + 0.5 * torch.randn(2000, 2)
mixture = GaussianMixture()
optimizer = torch.optim.Adam(mixture.parameters(), lr=5e-2)
for step in range(200):
    batch = data[torch.randint(0, len(data), (256,))]
    dist = mixture.distribution()
    loss = -dist.log_prob(batch).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    # how far the model's samples are from the data: watched, not trained on
    drawn = dist.sample((256,))
    gap = (drawn.mean(0) - batch.mean(0)).norm()
    if step % 50 == 0:
        print(f"step {step}: nll {loss.item():.3f} sample-mean gap {gap.item():.3f}")
