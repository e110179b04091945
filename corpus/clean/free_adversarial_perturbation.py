"""'Adversarial training for free': the perturbation persists across minibatch replays."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class FreeAdvTrainer(nn.Module):
    def __init__(self, model, batch_shape, eps=0.1):
        super().__init__()
        self.model = model
        self.eps = eps
        self.delta = torch.zeros(batch_shape, requires_grad=True)

    def forward(self, x):
        return self.model(x + self.delta[: x.size(0)])

    @torch.no_grad()
    def ascend(self):
        self.delta += self.eps * self.delta.grad.sign()
        self.delta.clamp_(-self.eps, self.eps)
        self.delta.grad.zero_()


torch.manual_seed(0)
net = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 3))
trainer = FreeAdvTrainer(net, (32, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for epoch in range(2):
    for i in range(0, 128, 32):
        x, y = torch.randn(32, 10), torch.randint(0, 3, (32,))
        for replay in range(3):
            loss = F.cross_entropy(trainer(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            trainer.ascend()
    print(epoch, loss.item())
