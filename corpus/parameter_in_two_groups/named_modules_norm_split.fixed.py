"""A ConvNeXt-like classifier: norm parameters get no weight decay, split by module type."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.GroupNorm(1, dim)
        self.pwconv1 = nn.Conv2d(dim, 4 * dim, 1)
        self.pwconv2 = nn.Conv2d(4 * dim, dim, 1)
        self.gamma = nn.Parameter(1e-2 * torch.ones(dim, 1, 1))

    def forward(self, x):
        return x + self.gamma * self.pwconv2(F.gelu(self.pwconv1(self.norm(self.dwconv(x)))))


class Classifier(nn.Module):
    def __init__(self, dim=16, classes=3):
        super().__init__()
        self.stem = nn.Conv2d(1, dim, 4, stride=4)
        self.stages = nn.Sequential(ConvNeXtBlock(dim), ConvNeXtBlock(dim))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.stages(self.stem(x)).mean(dim=(2, 3))
        return self.head(self.norm(x))


model = Classifier()
norm_types = (nn.LayerNorm, nn.GroupNorm)
norm_params = [p for name, m in model.named_modules() if isinstance(m, norm_types) for p in m.parameters()]
other_params = [p for name, m in model.named_modules() if not isinstance(m, norm_types) for p in m.parameters(recurse=False)]
optimizer = torch.optim.AdamW(
    [{"params": other_params, "weight_decay": 0.05}, {"params": norm_params, "weight_decay": 0.0}], lr=1e-3
)

x = torch.randn(12, 1, 16, 16)
y = torch.randint(0, 3, (12,))
for epoch in range(3):
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(epoch, f"{loss.item():.4f}")
