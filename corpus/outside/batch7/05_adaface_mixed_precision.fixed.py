"""Face-recognition training with an IR-ResNet style backbone and the AdaFace margin head
(quality-adaptive margin based on feature norms), using automatic mixed precision with a
GradScaler.  Synthetic 16x16 "faces": each identity is a fixed random template plus noise."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

NUM_IDS, EMB = 32, 64


class BasicBlockIR(nn.Module):
    def __init__(self, in_ch, depth, stride):
        super().__init__()
        if in_ch == depth and stride == 1:
            self.shortcut = nn.MaxPool2d(1, stride)
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, depth, 1, stride, bias=False), nn.BatchNorm2d(depth))
        self.res = nn.Sequential(
            nn.BatchNorm2d(in_ch),
            nn.Conv2d(in_ch, depth, 3, 1, 1, bias=False), nn.BatchNorm2d(depth), nn.PReLU(depth),
            nn.Conv2d(depth, depth, 3, stride, 1, bias=False), nn.BatchNorm2d(depth),
        )

    def forward(self, x):
        return self.res(x) + self.shortcut(x)


class IRBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layer = nn.Sequential(nn.Conv2d(3, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32),
                                         nn.PReLU(32))
        self.body = nn.Sequential(BasicBlockIR(32, 32, 2), BasicBlockIR(32, 64, 2))
        self.output_layer = nn.Sequential(nn.BatchNorm2d(64), nn.Dropout(0.2), nn.Flatten(),
                                          nn.Linear(64 * 4 * 4, EMB), nn.BatchNorm1d(EMB, affine=False))

    def forward(self, x):
        x = self.output_layer(self.body(self.input_layer(x)))
        norm = torch.norm(x, 2, 1, True)
        return torch.div(x, norm), norm


class AdaFace(nn.Module):
    def __init__(self, emb, classes, m=0.4, h=0.333, s=64.0, t_alpha=0.01):
        super().__init__()
        self.kernel = nn.Parameter(torch.empty(emb, classes).uniform_(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5))
        self.m, self.h, self.s, self.t_alpha, self.eps = m, h, s, t_alpha, 1e-3
        self.register_buffer("batch_mean", torch.ones(1) * 20)
        self.register_buffer("batch_std", torch.ones(1) * 100)

    def forward(self, embeddings, norms, label):
        kernel_norm = F.normalize(self.kernel, dim=0)
        cosine = (embeddings.float() @ kernel_norm).clamp(-1 + self.eps, 1 - self.eps)
        safe_norms = norms.float().clamp(0.001, 100).detach()
        with torch.no_grad():
            self.batch_mean.mul_(1 - self.t_alpha).add_(self.t_alpha * safe_norms.mean())
            self.batch_std.mul_(1 - self.t_alpha).add_(self.t_alpha * safe_norms.std())
        margin_scaler = ((safe_norms - self.batch_mean) / (self.batch_std + self.eps) * self.h).clamp(-1, 1)
        one_hot = F.one_hot(label, cosine.shape[1]).float()
        g_angular = -self.m * margin_scaler * one_hot
        theta = cosine.acos()
        cosine = (theta + g_angular).clamp(self.eps, math.pi - self.eps).cos()
        g_add = self.m + self.m * margin_scaler * one_hot
        return (cosine - g_add * one_hot) * self.s


templates = torch.randn(NUM_IDS, 3, 16, 16)


def sample_batch(n=16):
    labels = torch.randint(0, NUM_IDS, (n,))
    quality = torch.rand(n, 1, 1, 1)
    imgs = templates[labels] + (1.5 - quality) * torch.randn(n, 3, 16, 16)
    return imgs.to(device), labels.to(device)


backbone = IRBackbone().to(device)
head = AdaFace(EMB, NUM_IDS).to(device)
optimizer = torch.optim.SGD([{"params": backbone.parameters(), "weight_decay": 5e-4},
                             {"params": head.parameters(), "weight_decay": 5e-4}], lr=0.05, momentum=0.9)
scaler = torch.amp.GradScaler(device)

for step in range(10):
    imgs, labels = sample_batch()
    with torch.autocast(device_type=device, dtype=torch.float16):
        emb, norms = backbone(imgs)
        logits = head(emb, norms, labels)
        loss = F.cross_entropy(logits.float(), labels)
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(backbone.parameters(), 5.0)
    scaler.step(optimizer)
    scaler.update()
    if step % 4 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}  mean norm {norms.float().mean().item():.2f}  scale {scaler.get_scale():.0f}")
