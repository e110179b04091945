# Report: https://github.com/openvinotoolkit/nncf/pull/327
# "Do not replace parameter during symmetric range init": the initialization may occur *after*
# the optimizer received the list of model's parameters, so replacing the parameter as a whole
# during such initialization will break the gradient updates.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class RoundSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return torch.round(x)

    @staticmethod
    def backward(ctx, g):
        return g


class SymmetricQuantizer(nn.Module):
    def __init__(self, bits=8):
        super().__init__()
        self.level_high = 2 ** (bits - 1) - 1
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        s = self.scale.abs() + 1e-6
        return RoundSTE.apply(torch.clamp(x / s * self.level_high, -self.level_high, self.level_high)) * s / self.level_high


class QuantizedLinear(nn.Linear):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quantizer = SymmetricQuantizer()

    def forward(self, x):
        return F.linear(self.quantizer(x), self.weight, self.bias)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = QuantizedLinear(20, 64)
        self.fc2 = QuantizedLinear(64, 32)
        self.fc3 = QuantizedLinear(32, 4)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class QuantizationController:
    """Compression controller: collects statistics and initializes quantizer ranges."""

    def __init__(self, model):
        self.quantizers = {n: m for n, m in model.named_modules() if isinstance(m, SymmetricQuantizer)}
        self.stats = {n: torch.zeros(1) for n in self.quantizers}
        self._hooks = []

    def initialize_ranges(self, model, loader, num_init_steps=2):
        def make_hook(name):
            def hook(module, inputs):
                self.stats[name] = torch.maximum(self.stats[name], inputs[0].detach().abs().max().reshape(1))
            return hook
        for n, q in self.quantizers.items():
            self._hooks.append(q.register_forward_pre_hook(make_hook(n)))
        with torch.no_grad():
            for i, (x, _) in enumerate(loader):
                if i >= num_init_steps:
                    break
                model(x)
        for h in self._hooks:
            h.remove()
        for n, q in self.quantizers.items():
            q.scale.data.copy_(self.stats[n])


inputs = torch.randn(256, 20) * 3
targets = (inputs[:, :4] > 0).long().argmax(1)
loader = [(inputs[i:i + 32].to(device), targets[i:i + 32].to(device)) for i in range(0, 256, 32)]

model = Net().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
compression_ctrl = QuantizationController(model)
compression_ctrl.initialize_ranges(model, loader)

for epoch in range(3):
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
