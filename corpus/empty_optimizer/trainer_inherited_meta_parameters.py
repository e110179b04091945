import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class MetaBase(nn.Module):
    """Layers whose weights are plain tensors that an inner loop can replace by name."""

    def meta_parameters(self):
        for _, tensor in self.named_buffers():
            if tensor.requires_grad:
                yield tensor


class MetaConv(MetaBase):
    def __init__(self, c_in, c_out):
        super().__init__()
        conv = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.register_buffer("weight", conv.weight.detach().clone().requires_grad_())
        self.register_buffer("bias", conv.bias.detach().clone().requires_grad_())

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, padding=1)


class MetaNet(MetaBase):
    def __init__(self):
        super().__init__()
        self.conv1 = MetaConv(1, 4)
        self.conv2 = MetaConv(4, 2)

    def forward(self, x):
        return self.conv2(F.relu(self.conv1(x))).mean((2, 3))


class Trainer:
    def __init__(self, model, lr):
        self.model = model
        self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)

    def fit(self, x, y, steps):
        for _ in range(steps):
            loss = F.cross_entropy(self.model(x), y)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()


trainer = Trainer(MetaNet(), lr=0.1)
trainer.fit(torch.randn(8, 1, 6, 6), torch.randint(0, 2, (8,)), steps=10)
