"""Fine-tuning a small VGG-style network with 8-bit fixed-point weights: every conv / fc
layer passes its floating-point weight through a quantization layer (learnable step size,
clip to the signed 8-bit range) before it is used."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class Linear_Quantization(nn.Module):
    def __init__(self, bit_width=8, init_step=0.01):
        super().__init__()
        self.bit_width = bit_width
        self.step_size = nn.Parameter(torch.tensor(init_step))

    def forward(self, x):
        x = torch.round(x / self.step_size)
        x = torch.clamp(x, min=-2 ** (self.bit_width - 1), max=2 ** (self.bit_width - 1) - 1)
        return x * self.step_size


class QConv2d(nn.Conv2d):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quant = Linear_Quantization(init_step=self.weight.detach().abs().max().item() / 127)

    def forward(self, x):
        return F.conv2d(x, self.quant(self.weight), self.bias, self.stride, self.padding)


class QLinear(nn.Linear):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.quant = Linear_Quantization(init_step=self.weight.detach().abs().max().item() / 127)

    def forward(self, x):
        return F.linear(x, self.quant(self.weight), self.bias)


class QVGG(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            QConv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            QConv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        )
        self.classifier = QLinear(32 * 4 * 4, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def make_data(n):
    y = torch.randint(0, 10, (n,))
    x = 0.5 * torch.randn(n, 3, 16, 16)
    for i in range(n):
        x[i, y[i] % 3, (y[i] // 3) * 4:(y[i] // 3) * 4 + 4, :] += 1.5
    return x.to(device), y.to(device)


model = QVGG().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
x_train, y_train = make_data(256)
x_test, y_test = make_data(128)
for epoch in range(5):
    model.train()
    for i in range(0, len(x_train), 64):
        out = model(x_train[i:i + 64])
        loss = F.cross_entropy(out, y_train[i:i + 64])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f"epoch {epoch}  loss {loss.item():.4f}  test acc {acc:.3f}  "
          f"step sizes {[round(m.step_size.item(), 4) for m in model.modules() if isinstance(m, Linear_Quantization)]}")
