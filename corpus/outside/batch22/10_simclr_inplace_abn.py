# Report: https://github.com/mapillary/inplace_abn/issues/166
# The report: the InPlace-ABN autograd Function calls ctx.mark_dirty on the running statistics it
# updates in place but returns only the activation, and the first forward fails with "Some elements
# marked as dirty during the forward method were not returned as output".
"""SimCLR pre-training of a small CNN that uses an in-place BatchNorm+LeakyReLU (InPlace-ABN) to save memory."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class InPlaceABNFn(torch.autograd.Function):
    """BatchNorm followed by LeakyReLU, computed in the input buffer; backward inverts the output."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps, slope):
        c = x.shape[1]
        if training:
            dims = [0] + list(range(2, x.dim()))
            mean = x.mean(dims)
            var = x.var(dims, unbiased=False)
            n = x.numel() // c
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * n / max(n - 1, 1))
            ctx.mark_dirty(x, running_mean, running_var)
        else:
            mean, var = running_mean, running_var
            ctx.mark_dirty(x)
        invstd = torch.rsqrt(var + eps)
        shape = (1, c) + (1,) * (x.dim() - 2)
        gamma = weight.abs() + eps
        x.sub_(mean.view(shape)).mul_((invstd * gamma).view(shape)).add_(bias.view(shape))
        F.leaky_relu(x, slope, inplace=True)
        ctx.slope, ctx.eps = slope, eps
        ctx.save_for_backward(x, weight, bias, invstd)
        return x

    @staticmethod
    def backward(ctx, dy):
        y, weight, bias, invstd = ctx.saved_tensors
        c = y.shape[1]
        shape = (1, c) + (1,) * (y.dim() - 2)
        dims = [0] + list(range(2, y.dim()))
        pos = y >= 0
        z = torch.where(pos, y, y / ctx.slope)
        dz = torch.where(pos, dy, dy * ctx.slope)
        gamma = weight.abs() + ctx.eps
        xhat = (z - bias.view(shape)) / gamma.view(shape)
        sum_dz = dz.sum(dims)
        sum_dz_xhat = (dz * xhat).sum(dims)
        n = y.numel() // c
        dx = (gamma * invstd).view(shape) * (dz - sum_dz.view(shape) / n - xhat * sum_dz_xhat.view(shape) / n)
        dweight = sum_dz_xhat * torch.sign(weight)
        return dx, dweight, sum_dz, None, None, None, None, None, None


class InPlaceABN(nn.Module):
    def __init__(self, c, momentum=0.1, eps=1e-5, slope=0.01):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))
        self.momentum, self.eps, self.slope = momentum, eps, slope

    def forward(self, x):
        return InPlaceABNFn.apply(x, self.weight, self.bias, self.running_mean, self.running_var,
                                  self.training, self.momentum, self.eps, self.slope)


class Encoder(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1, bias=False), InPlaceABN(width), nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1, bias=False), InPlaceABN(2 * width), nn.MaxPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1, bias=False), InPlaceABN(2 * width),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.out_dim = 2 * width

    def forward(self, x):
        return self.net(x)


class ShapesDataset(Dataset):
    """Colored blobs on noise; the class (unused by SimCLR) is the blob position quadrant."""

    def __init__(self, n=384, size=16, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.images, self.labels = [], []
        for _ in range(n):
            img = 0.2 * torch.rand(3, size, size, generator=g)
            q = int(torch.randint(0, 4, (1,), generator=g))
            r0, c0 = (q // 2) * size // 2 + 2, (q % 2) * size // 2 + 2
            img[:, r0:r0 + 4, c0:c0 + 4] += torch.rand(3, 1, 1, generator=g) + 0.5
            self.images.append(img)
            self.labels.append(q)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


def augment(x):
    flip = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < 0.5
    x = torch.where(flip, x.flip(-1), x)
    x = x * (0.7 + 0.6 * torch.rand(x.shape[0], 3, 1, 1, device=x.device))
    shift = int(torch.randint(-2, 3, (1,)))
    x = torch.roll(x, shift, dims=-2)
    return x + 0.05 * torch.randn_like(x)


def nt_xent(z1, z2, tau=0.2):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.t() / tau
    n = z1.shape[0]
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets)


@torch.no_grad()
def knn_accuracy(encoder, loader):
    encoder.eval()
    feats, labels = [], []
    for x, y in loader:
        feats.append(F.normalize(encoder(x.to(device)), dim=1))
        labels.append(y.to(device))
    encoder.train()
    f, l = torch.cat(feats), torch.cat(labels)
    sim = f @ f.t()
    sim.fill_diagonal_(-1)
    return (l[sim.argmax(1)] == l).float().mean().item()


encoder = Encoder().to(device)
projector = nn.Sequential(nn.Linear(encoder.out_dim, 64), nn.ReLU(), nn.Linear(64, 32)).to(device)
optimizer = torch.optim.Adam(list(encoder.parameters()) + list(projector.parameters()), lr=2e-3)
loader = DataLoader(ShapesDataset(), batch_size=64, shuffle=True, drop_last=True)
eval_loader = DataLoader(ShapesDataset(n=256, seed=1), batch_size=128)

if __name__ == "__main__":
    print(f"kNN acc before: {knn_accuracy(encoder, eval_loader):.3f}")
    for epoch in range(6):
        total = 0.0
        for x, _ in loader:
            x = x.to(device)
            z1 = projector(encoder(augment(x)))
            z2 = projector(encoder(augment(x)))
            loss = nt_xent(z1, z2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch}: loss {total / len(loader):.4f}  kNN acc {knn_accuracy(encoder, eval_loader):.3f}")
