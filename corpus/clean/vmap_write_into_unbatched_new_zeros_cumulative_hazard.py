# A discrete-time survival model for synthetic patient records: an MLP gives each patient a hazard
# per follow-up interval, a per-patient function accumulates the cumulative hazard into a buffer
# made from the hazards (mapped over the batch with vmap), and the censored negative
# log-likelihood of the implied survival curve is minimised with Adam.
import torch
from torch import nn

INTERVALS = 12


def cumulative_hazard(hazard):
    """One patient's (INTERVALS,) hazards -> cumulative hazard H(0..INTERVALS), H(0) = 0."""
    cum = hazard.new_zeros(hazard.size(0) + 1)
    running = hazard.new_zeros(())
    for t in range(hazard.size(0)):
        running = running + hazard[t]
        cum[t + 1] = running
    return cum


class HazardNet(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 32), nn.ReLU(), nn.Linear(32, INTERVALS))

    def forward(self, x):
        hazard = nn.functional.softplus(self.net(x)) * 0.2
        return hazard, torch.vmap(cumulative_hazard)(hazard)


torch.manual_seed(0)
x = torch.randn(600, 6)
risk = 0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.3 * x[:, 2] * x[:, 3]
true_time = (torch.distributions.Exponential(0.15 * torch.exp(risk)).sample()).long().clamp(max=INTERVALS - 1)
censor_time = torch.randint(0, INTERVALS, (600,))
time = torch.minimum(true_time, censor_time)
event = true_time <= censor_time

model = HazardNet(6)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(20):
    perm = torch.randperm(600)
    for i in range(0, 600, 100):
        idx = perm[i:i + 100]
        hazard, cum = model(x[idx])
        rows = torch.arange(len(idx))
        t, e = time[idx], event[idx]
        # log S(t) = -H(t); dying in interval t has probability S(t) * (1 - exp(-h_t)).
        died = -cum[rows, t] + torch.log(-torch.expm1(-hazard[rows, t]) + 1e-8)
        survived = -cum[rows, t + 1]
        loss = -torch.where(e, died, survived).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch}: nll {loss.item():.4f}")
