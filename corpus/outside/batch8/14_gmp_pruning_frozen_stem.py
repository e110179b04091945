"""Fine-tuning with gradual magnitude pruning (sparseml-style GMP modifier).

The pretrained stem is kept frozen during fine-tuning; the pruning modifier sparsifies every
prunable conv / linear weight following a cubic schedule and masks their gradients.
"""
from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


class GMPruningModifier:
    def __init__(self, params="__ALL_PRUNABLE__", init_sparsity=0.05, final_sparsity=0.7,
                 start_epoch=0, end_epoch=3, update_frequency=1):
        self.params = params
        self.init_sparsity = init_sparsity
        self.final_sparsity = final_sparsity
        self.start_epoch = start_epoch
        self.end_epoch = end_epoch
        self.update_frequency = update_frequency

    def initialize(self, module):
        self._layers, self._params, self._names = [], [], []
        for name, layer in module.named_modules():
            if isinstance(layer, (nn.Conv2d, nn.Linear)):
                self._layers.append(layer)
                self._params.append(layer.weight)
                self._names.append(name + ".weight")
        self._masks = [torch.ones_like(p, dtype=torch.bool) for p in self._params]
        self._gradient_hooks = [None] * len(self._params)
        self._create_hooks()

    def _create_hooks(self):
        for idx, (param, layer) in enumerate(zip(self._params, self._layers)):
            if self._gradient_hooks[idx] is None:
                self._gradient_hooks[idx] = param.register_hook(partial(self._hook_mask_gradient, idx))

    def _hook_mask_gradient(self, idx, grad):
        return grad.mul(self._masks[idx])

    def _sparsity(self, epoch):
        if epoch < self.start_epoch:
            return 0.0
        progress = min(1.0, (epoch - self.start_epoch) / max(self.end_epoch - self.start_epoch, 1))
        return self.final_sparsity + (self.init_sparsity - self.final_sparsity) * (1 - progress) ** 3

    @torch.no_grad()
    def update(self, epoch):
        sparsity = self._sparsity(epoch)
        for idx, param in enumerate(self._params):
            k = int(sparsity * param.numel())
            if k < 1:
                continue
            threshold = param.abs().flatten().kthvalue(k).values
            self._masks[idx] = param.abs() > threshold
            param.mul_(self._masks[idx])
        return sparsity

    @torch.no_grad()
    def optimizer_post_step(self):
        for param, mask in zip(self._params, self._masks):
            param.mul_(mask)


class Net(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.block = nn.Sequential(nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                                   nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.block(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def make_data(n=192):
    x = torch.randn(n, 3, 16, 16)
    y = (x[:, 0].mean((1, 2)) > 0).long() * 2 + (x[:, 2, :8].mean((1, 2)) > 0).long()
    return x, y


if __name__ == "__main__":
    model = Net()
    pretrained = {k: v + 0.01 * torch.randn_like(v) if v.is_floating_point() else v
                  for k, v in model.state_dict().items()}
    model.load_state_dict(pretrained)  # stands in for the pretrained checkpoint
    for p in model.stem.parameters():
        p.requires_grad = False

    modifier = GMPruningModifier(init_sparsity=0.05, final_sparsity=0.7, start_epoch=0, end_epoch=3)
    modifier.initialize(model)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.05, momentum=0.9)

    x, y = make_data()
    for epoch in range(4):
        sparsity = modifier.update(epoch)
        model.train()
        for i in range(0, x.shape[0], 32):
            loss = F.cross_entropy(model(x[i:i + 32]), y[i:i + 32])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            modifier.optimizer_post_step()
        print(f"epoch {epoch} sparsity {sparsity:.2f} loss {loss.item():.4f}")
