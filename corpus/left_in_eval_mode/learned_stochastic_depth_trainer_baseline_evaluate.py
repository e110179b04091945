"""A residual MLP with stochastic depth whose survival rates are learned: in training mode each
block's residual branch is kept or dropped per sample through a relaxed Bernoulli gate; in
evaluation mode every branch is kept. The trainer records a baseline evaluation before training
and leaves the network in evaluation mode: the survival logits never get a gradient."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class LearnedDepthBlock(nn.Module):
    def __init__(self, dim, survival=0.8, temperature=0.2):
        super().__init__()
        self.branch = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.survival_logit = nn.Parameter(torch.logit(torch.tensor(survival)))
        self.temperature = temperature

    def forward(self, x):
        if not self.training:
            return x + self.branch(x)
        keep = torch.distributions.RelaxedBernoulli(torch.tensor(self.temperature), logits=self.survival_logit.expand(len(x), 1)).rsample()
        return x + keep / torch.sigmoid(self.survival_logit) * self.branch(x)


class Trainer:
    def __init__(self, net, data, lr=1e-3):
        self.net = net
        self.x, self.y = data
        self.optimizer = torch.optim.AdamW(net.parameters(), lr=lr)
        self.history = []

    def evaluate(self, x_val, y_val):
        self.net.eval()
        with torch.no_grad():
            accuracy = (self.net(x_val).argmax(dim=1) == y_val).float().mean().item()
        self.history.append(accuracy)

    def train_epoch(self, batch_size=64):
        for i in range(0, len(self.x), batch_size):
            loss = F.cross_entropy(self.net(self.x[i:i + batch_size]), self.y[i:i + batch_size])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()


features = torch.randn(512, 20)
labels = (features[:, :3].sum(dim=1) > 0).long() + (features[:, 3] > 1).long()
net = nn.Sequential(nn.Linear(20, 48), *[LearnedDepthBlock(48) for _ in range(3)], nn.Linear(48, 3))
trainer = Trainer(net, (features[:384], labels[:384]))
trainer.evaluate(features[384:], labels[384:])
for epoch in range(5):
    trainer.train_epoch()
    trainer.evaluate(features[384:], labels[384:])
print("validation accuracy by epoch:", [round(a, 3) for a in trainer.history])
