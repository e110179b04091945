# Report: https://github.com/ucbrise/actnn/issues/26
# The memory-saving linear layer is a custom autograd.Function that flattens its input to 2-D and
# saves a compressed copy. Its backward returns grad_input in the flattened [B*N, C] shape, which
# cannot be summed back to the ViT token shape [B, N, C]: loss.backward() fails with "returned an
# invalid gradient at index 0".
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


def quantize(x, bits=8):
    lo, hi = x.min(dim=1, keepdim=True)[0], x.max(dim=1, keepdim=True)[0]
    scale = (hi - lo).clamp(min=1e-8) / (2 ** bits - 1)
    q = torch.round((x - lo) / scale).to(torch.uint8)
    return q, lo, scale


def dequantize(q, lo, scale):
    return q.float() * scale + lo


class linear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.input_shape = input.shape
        input_2d = input.reshape(-1, input.shape[-1])
        ctx.quantized = quantize(input_2d)
        ctx.save_for_backward(weight, bias)
        output = F.linear(input_2d, weight, bias)
        return output.view(*input.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad_output):
        weight, bias = ctx.saved_tensors
        input_2d = dequantize(*ctx.quantized)
        ctx.quantized = None
        grad_output_2d = grad_output.reshape(-1, grad_output.shape[-1])
        grad_input = grad_output_2d.mm(weight)
        grad_weight = grad_output_2d.t().mm(input_2d)
        grad_bias = grad_output_2d.sum(0) if bias is not None else None
        return grad_input.view(ctx.input_shape), grad_weight, grad_bias


class QLinear(nn.Linear):
    def forward(self, input):
        if self.training:
            return linear.apply(input, self.weight, self.bias)
        return super().forward(input)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=4):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = QLinear(dim, dim * mlp_ratio)
        self.fc2 = QLinear(dim * mlp_ratio, dim)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class ViT(nn.Module):
    def __init__(self, img_size=32, patch=8, dim=64, depth=2, heads=4, num_classes=10):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        n = (img_size // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = QLinear(dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


def train(model, args):
    optimizer = torch.optim.AdamW(model.parameters(), lr=args["lr"], weight_decay=0.05)
    model.train()
    for step in range(args["steps"]):
        images = torch.randn(args["batch_size"], 3, 32, 32, device=device)
        labels = (images.mean(dim=(1, 2, 3)) > 0).long()
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            print(f"step {step}: loss {loss.item():.4f}")


args = {"lr": 1e-3, "batch_size": 16, "steps": 30}
model = ViT().to(device)
train(model, args)
