# A discrete-time survival model for synthetic patient records: an MLP gives each patient a hazard
# per follow-up interval, a per-patient method turns the hazards into a survival curve (mapped
# over the batch with vmap), and the censored negative log-likelihood is minimised with Adam.
import torch
from torch import nn

INTERVALS = 12


class DiscreteTimeSurvival(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 32), nn.ReLU(), nn.Linear(32, INTERVALS))

    def survival(self, hazard):
        """One patient's (INTERVALS,) hazards -> survival probabilities S(0..INTERVALS)."""
        surv = hazard.new_ones(hazard.size(0) + 1)
        alive = 1.0
        for t in range(hazard.size(0)):
            alive = alive * (1 - hazard[t])
            surv[t + 1] = alive
        return surv

    def forward(self, x):
        hazard = torch.sigmoid(self.net(x))
        return hazard, torch.vmap(self.survival)(hazard)


def censored_nll(hazard, surv, time, event):
    rows = torch.arange(len(time))
    died = torch.log(surv[rows, time] * hazard[rows, time] + 1e-8)
    survived = torch.log(surv[rows, time + 1] + 1e-8)
    return -torch.where(event, died, survived).mean()


torch.manual_seed(0)
x = torch.randn(600, 6)
risk = 0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.3 * x[:, 2] * x[:, 3]
true_time = (torch.distributions.Exponential(0.15 * torch.exp(risk)).sample()).long().clamp(max=INTERVALS - 1)
censor_time = torch.randint(0, INTERVALS, (600,))
time = torch.minimum(true_time, censor_time)
event = true_time <= censor_time

model = DiscreteTimeSurvival(6)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for epoch in range(20):
    perm = torch.randperm(600)
    for i in range(0, 600, 100):
        idx = perm[i:i + 100]
        hazard, surv = model(x[idx])
        loss = censored_nll(hazard, surv, time[idx], event[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch}: nll {loss.item():.4f}")
