# Predicts the daily energy use of buildings from six synthetic descriptors (floor area,
# insulation, outdoor temperature, occupancy, glazing, age) with a deep ensemble from the
# helper module. Every member is fitted with a Gaussian negative log-likelihood; the ensemble's
# mixture gives the predictive mean and spread on held-out buildings.
import torch
import torch.nn.functional as F

from model import StackedEnsemble

torch.manual_seed(21)
n, features = 1200, 6
x = torch.randn(n, features)
noise_scale = 0.2 + 0.3 * torch.sigmoid(2 * x[:, 2])  # more spread on cold days
y = 1.5 * x[:, 0] - 0.8 * x[:, 1] - 1.2 * x[:, 2] + 0.5 * x[:, 3] * x[:, 4] + noise_scale * torch.randn(n)
x_train, y_train, x_test, y_test = x[:1000], y[:1000], x[1000:], y[1000:]

ensemble = StackedEnsemble(features, members=4)
optimizer = torch.optim.AdamW(ensemble.parameters(), lr=3e-3, weight_decay=1e-4)

for epoch in range(8):
    ensemble.train()
    order = torch.randperm(len(x_train))
    for i in range(0, len(order), 100):
        idx = order[i:i + 100]
        mean, std = ensemble(x_train[idx])
        target = y_train[idx].expand_as(mean)
        loss = F.gaussian_nll_loss(mean, target, std.pow(2))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    ensemble.train(False)
    with torch.no_grad():
        mean, std = ensemble(x_test)
        mix_mean = mean.mean(0)
        mix_var = (std.pow(2) + mean.pow(2)).mean(0) - mix_mean.pow(2)
        rmse = (mix_mean - y_test).pow(2).mean().sqrt().item()
        nll = F.gaussian_nll_loss(mix_mean, y_test, mix_var).item()
    print(f"epoch {epoch}: train nll {loss.item():.3f} test rmse {rmse:.3f} test nll {nll:.3f}")

inside = ((y_test - mix_mean).abs() < 2 * mix_var.sqrt()).float().mean().item()
print(f"held-out buildings inside the 2-sigma band: {inside:.1%}")
