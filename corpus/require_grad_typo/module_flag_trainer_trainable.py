import torch
from torch import nn


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(12, 48), nn.Tanh(), nn.Linear(48, 24), nn.Tanh())
        self.out = nn.Linear(24, 1)

    def forward(self, x):
        return self.out(self.encoder(x)).squeeze(-1)


class Trainer:
    """Keras habits: a frozen encoder is released with `trainable = True` after the warm-up."""

    def __init__(self, model, warmup_steps=2):
        self.model = model
        self.warmup_steps = warmup_steps
        for p in self.model.encoder.parameters():
            p.requires_grad = False
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.02, momentum=0.9)
        self.loss_fn = nn.MSELoss()
        self.step = 0

    def release_encoder(self):
        self.model.encoder.trainable = True

    def train_step(self, x, y):
        if self.step == self.warmup_steps:
            self.release_encoder()
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        self.step += 1
        return loss.item()


def main():
    torch.manual_seed(1)
    x = torch.randn(256, 12)
    y = x[:, :4].sum(1) - x[:, 4:].prod(1).tanh()
    trainer = Trainer(Regressor())
    for step in range(8):
        idx = torch.randint(0, 256, (32,))
        print(step, trainer.train_step(x[idx], y[idx]))


if __name__ == "__main__":
    main()
