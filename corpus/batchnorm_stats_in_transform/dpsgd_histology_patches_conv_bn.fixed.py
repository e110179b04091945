# DP-SGD for a small tissue-patch classifier (tumour vs. stroma) on synthetic 3x16x16 patches.
# Per-example gradients come from torch.func (vmap over grad of a one-patch loss); each one is
# clipped to MAX_GRAD_NORM, the sum is noised with a Gaussian of std NOISE_MULTIPLIER * MAX_GRAD_NORM
# and written to .grad for the optimizer, as in Abadi et al. (2016).
import math

import torch
from torch import nn
import torch.nn.functional as F
import torch.func as tf

SEED = 7
N_TRAIN, N_VAL = 768, 256
BATCH = 64
EPOCHS = 2
MAX_GRAD_NORM = 1.0
NOISE_MULTIPLIER = 0.8
LR = 0.5


def make_patches(n, generator):
    labels = torch.randint(0, 2, (n,), generator=generator)
    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    freq = torch.where(labels == 1, 1.3, 0.5).view(-1, 1, 1)
    phase = 2 * math.pi * torch.rand(n, 1, 1, generator=generator)
    nuclei = torch.sin(freq * xx + phase) * torch.cos(freq * yy)
    stain = torch.stack([0.8 * nuclei, 0.3 * nuclei + 0.2, -0.5 * nuclei], dim=1)
    return stain + 0.4 * torch.randn(n, 3, 16, 16, generator=generator), labels


class PatchNet(nn.Module):
    def __init__(self, widths=(16, 32)):
        super().__init__()
        layers, c_in = [], 3
        for c in widths:
            layers += [
                nn.Conv2d(c_in, c, 3, padding=1, bias=False),
                nn.BatchNorm2d(c, 1e-5, 0.1, True, track_running_stats=False),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            c_in = c
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_in * 16, 2)

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


class DPTrainer:
    def __init__(self, model):
        self.model = model
        self.optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.5)
        self.per_example_grads = tf.vmap(tf.grad(self._one_loss), in_dims=(None, None, 0, 0))

    def _one_loss(self, params, buffers, patch, label):
        out = tf.functional_call(self.model, (params, buffers), (patch[None],))
        return F.cross_entropy(out, label[None])

    def private_step(self, x, y):
        params = {n: p.detach() for n, p in self.model.named_parameters()}
        buffers = {n: b for n, b in self.model.named_buffers()}
        grads = self.per_example_grads(params, buffers, x, y)
        flat = torch.cat([g.reshape(len(x), -1) for g in grads.values()], dim=1)
        factor = (MAX_GRAD_NORM / (flat.norm(dim=1) + 1e-6)).clamp(max=1.0)
        for name, p in self.model.named_parameters():
            clipped = torch.einsum("b,b...->...", factor, grads[name])
            noise = torch.randn_like(p) * NOISE_MULTIPLIER * MAX_GRAD_NORM
            p.grad = (clipped + noise) / len(x)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    @torch.no_grad()
    def accuracy(self, x, y):
        self.model.eval()
        acc = (self.model(x).argmax(1) == y).float().mean().item()
        self.model.train()
        return acc


def main():
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    x_train, y_train = make_patches(N_TRAIN, g)
    x_val, y_val = make_patches(N_VAL, g)
    trainer = DPTrainer(PatchNet())
    trainer.model.train()
    for epoch in range(EPOCHS):
        order = torch.randperm(N_TRAIN)
        for start in range(0, N_TRAIN, BATCH):
            idx = order[start:start + BATCH]
            trainer.private_step(x_train[idx], y_train[idx])
        print(f"epoch {epoch}: val accuracy {trainer.accuracy(x_val, y_val):.3f}")


if __name__ == "__main__":
    main()
