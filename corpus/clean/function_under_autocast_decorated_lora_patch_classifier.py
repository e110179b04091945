"""LoRA fine-tuning of a small patch-MLP image classifier under bfloat16 autocast. The LoRA update
is a fused autograd Function, declared to autocast with custom_fwd/custom_bwd so its backward
sees the dtypes its forward computed in."""
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.amp import custom_bwd, custom_fwd

torch.manual_seed(3)
PATCH, IMG, DIM, RANK = 4, 16, 48, 4


class LoRAFn(torch.autograd.Function):
    @staticmethod
    @custom_fwd(device_type="cpu")
    def forward(ctx, x, weight, a, b, scaling):
        ctx.save_for_backward(x, weight, a, b)
        ctx.scaling = scaling
        return F.linear(x, weight) + scaling * F.linear(F.linear(x, a), b)

    @staticmethod
    @custom_bwd(device_type="cpu")
    def backward(ctx, grad_out):
        x, weight, a, b = ctx.saved_tensors
        g = grad_out.reshape(-1, grad_out.shape[-1])
        x2 = x.reshape(-1, x.shape[-1])
        gb = g @ b
        grad_x = g @ weight + ctx.scaling * (gb @ a)
        grad_a = ctx.scaling * gb.t() @ x2
        grad_b = ctx.scaling * g.t() @ (x2 @ a.t())
        return grad_x.reshape(x.shape), None, grad_a, grad_b, None


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, rank: int = RANK, alpha: float = 8.0):
        super().__init__()
        self.weight = nn.Parameter(base.weight.detach().clone(), requires_grad=False)
        self.a = nn.Parameter(torch.empty(rank, base.in_features))
        self.b = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.a, a=math.sqrt(5))
        self.scaling = alpha / rank

    def forward(self, x):
        return LoRAFn.apply(x, self.weight, self.a, self.b, self.scaling)


class PatchMLP(nn.Module):
    def __init__(self, n_classes=4):
        super().__init__()
        n_patches = (IMG // PATCH) ** 2
        self.embed = nn.Linear(PATCH * PATCH, DIM)
        self.token_mix = nn.Linear(n_patches, n_patches)
        self.channel_mix = nn.Linear(DIM, DIM)
        self.head = nn.Linear(DIM, n_classes)

    def forward(self, img):
        p = img.unfold(1, PATCH, PATCH).unfold(2, PATCH, PATCH).reshape(img.shape[0], -1, PATCH * PATCH)
        h = F.gelu(self.embed(p))
        h = h + self.token_mix(h.transpose(1, 2)).transpose(1, 2)
        h = h + F.gelu(self.channel_mix(h))
        return self.head(h.mean(1))


def shapes(n, seed):
    """Images of a bar, a cross, a box or a diagonal, at random offsets, with noise."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    imgs = 0.3 * torch.randn(n, IMG, IMG, generator=g)
    for i, label in enumerate(y.tolist()):
        r, c = torch.randint(2, IMG - 6, (2,), generator=g).tolist()
        if label == 0:
            imgs[i, r:r + 4, c] += 1
        elif label == 1:
            imgs[i, r + 2, c:c + 5] += 1
            imgs[i, r:r + 5, c + 2] += 1
        elif label == 2:
            imgs[i, r:r + 4, c:c + 4] += 1
        else:
            imgs[i, range(r, r + 4), range(c, c + 4)] += 1
    return imgs, y


model = PatchMLP()
# pretend the mixing layers were pretrained elsewhere: adapt them with LoRA, train the head
model.requires_grad_(False)
model.token_mix = LoRALinear(model.token_mix)
model.channel_mix = LoRALinear(model.channel_mix)
model.head.requires_grad_(True)
trainable = [p for p in model.parameters() if p.requires_grad]
opt = torch.optim.AdamW(trainable, lr=1e-2)

images, labels = shapes(512, seed=0)
for epoch in range(4):
    perm = torch.randperm(len(images))
    for idx in perm.split(64):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = F.cross_entropy(model(images[idx]), labels[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch}: loss {loss.item():.3f}")
