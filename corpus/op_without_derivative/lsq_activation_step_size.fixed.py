"""Quantisation-aware training of a small MLP on synthetic digits-like data, with learned step size
quantisation (LSQ) of the hidden activations: each quantiser keeps its step size as a parameter,
initialised from the first batch, and trains it with the weights."""
import torch
from torch import nn

torch.manual_seed(0)


class LearnedStepQuant(nn.Module):
    def __init__(self, bits=4):
        super().__init__()
        self.quant_min, self.quant_max = 0, 2 ** bits - 1
        self.scale = nn.Parameter(torch.ones(1))
        self.register_buffer("zero_point", torch.zeros(1, dtype=torch.int32))
        self.register_buffer("initialised", torch.tensor(False))

    def forward(self, x):
        if not self.initialised:
            with torch.no_grad():
                self.scale.copy_(2 * x.abs().mean() / self.quant_max ** 0.5)
                self.initialised.fill_(True)
        return torch._fake_quantize_learnable_per_tensor_affine(x, self.scale, self.zero_point.float(), self.quant_min, self.quant_max)


model = nn.Sequential(
    nn.Linear(64, 128), nn.ReLU(), LearnedStepQuant(),
    nn.Linear(128, 64), nn.ReLU(), LearnedStepQuant(),
    nn.Linear(64, 10),
)
prototypes = torch.randn(10, 64)
labels = torch.randint(0, 10, (1024,))
inputs = prototypes[labels] + 0.5 * torch.randn(1024, 64)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

for epoch in range(8):
    for i in range(0, 1024, 128):
        loss = nn.functional.cross_entropy(model(inputs[i:i + 128]), labels[i:i + 128])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
