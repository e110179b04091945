# Contrastive training that starts learning its temperature halfway: a trainer adds the new
# parameter to its list and re-points every param group at the list with iter(...). torch reads an
# iterator once: the next zero_grad() empties it, and no step() after it updates anything.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class Trainer:
    def __init__(self, encoder, lr=1e-2):
        self.encoder = encoder
        self.params = list(encoder.parameters())
        self.log_temperature = None
        self.optimizer = torch.optim.Adam(self.params, lr=lr)

    def learn_temperature(self):
        self.log_temperature = nn.Parameter(torch.zeros(()))
        self.params.append(self.log_temperature)
        for group in self.optimizer.param_groups:
            group["params"] = list(self.params)

    def loss(self, a, b):
        za = F.normalize(self.encoder(a), dim=1)
        zb = F.normalize(self.encoder(b), dim=1)
        scale = 10.0 if self.log_temperature is None else self.log_temperature.exp() * 10.0
        logits = za @ zb.t() * scale
        return F.cross_entropy(logits, torch.arange(len(a)))

    def fit(self, data, epochs):
        for epoch in range(epochs):
            if epoch == 2:
                self.learn_temperature()
            for batch in data:
                noisy = batch + 0.1 * torch.randn_like(batch)
                self.optimizer.zero_grad()
                loss = self.loss(batch, noisy)
                loss.backward()
                self.optimizer.step()
        return loss.item()


data = [torch.randn(16, 8) for _ in range(4)]
trainer = Trainer(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 8)))
print(trainer.fit(data, epochs=5))
