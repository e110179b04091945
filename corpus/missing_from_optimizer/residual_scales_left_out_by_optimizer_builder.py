# Small encoder-decoder for 1x24x24 denoising. Residual blocks scale their branch by a learned
# scalar. build_optimizer() follows the YOLO recipe: BN weights, other weights, biases.
import torch
import torch.nn as nn
import torch.nn.functional as F


class ScaledResBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.res_scale = nn.Parameter(torch.full((1,), 0.2))

    def forward(self, x):
        return x + self.res_scale * self.conv2(F.relu(self.bn1(self.conv1(x))))


class Denoiser(nn.Module):
    def __init__(self, ch=16, n_blocks=3):
        super().__init__()
        self.inp = nn.Conv2d(1, ch, 3, padding=1)
        self.body = nn.Sequential(*[ScaledResBlock(ch) for _ in range(n_blocks)])
        self.out = nn.Conv2d(ch, 1, 3, padding=1)

    def forward(self, x):
        return x - self.out(self.body(F.relu(self.inp(x))))


def build_optimizer(model, lr, momentum, decay):
    bn_weights, weights, biases = [], [], []
    for module in model.modules():
        for pname, p in module.named_parameters(recurse=False):
            if pname == "bias":
                biases.append(p)
            elif pname == "weight" and isinstance(module, nn.BatchNorm2d):
                bn_weights.append(p)
            elif pname == "weight":
                weights.append(p)
    optimizer = torch.optim.SGD(bn_weights, lr=lr, momentum=momentum, nesterov=True)
    optimizer.add_param_group({"params": weights, "weight_decay": decay})
    optimizer.add_param_group({"params": biases, "weight_decay": 0.0})
    return optimizer


torch.manual_seed(5)
clean = torch.rand(160, 1, 24, 24)
noisy = clean + 0.2 * torch.randn_like(clean)
model = Denoiser()
optimizer = build_optimizer(model, lr=0.01, momentum=0.9, decay=1e-4)

for epoch in range(2):
    for i in range(0, 160, 32):
        loss = F.mse_loss(model(noisy[i:i + 32]), clean[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: mse {loss.item():.5f}")
