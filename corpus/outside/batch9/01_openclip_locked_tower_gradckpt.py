"""Fine-tune a small CLIP with a partially locked image tower (open_clip style).

--lock-image --lock-image-unlocked-groups 3 --grad-checkpointing
The lower part of the image tower stays frozen, the top blocks, the text tower
and the projections are fine-tuned with the usual contrastive loss.
"""
import argparse
import math
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

device = "cuda" if torch.cuda.is_available() else "cpu"


class LayerNorm(nn.LayerNorm):
    def forward(self, x):
        orig_type = x.dtype
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.to(orig_type)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model, n_head, mlp_ratio=4.0):
        super().__init__()
        self.ln_1 = LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_2 = LayerNorm(d_model)
        mlp_width = int(d_model * mlp_ratio)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(d_model, mlp_width)),
            ("gelu", nn.GELU()),
            ("c_proj", nn.Linear(mlp_width, d_model)),
        ]))

    def attention(self, q_x, attn_mask=None):
        attn_mask = attn_mask.to(q_x.dtype) if attn_mask is not None else None
        return self.attn(q_x, q_x, q_x, need_weights=False, attn_mask=attn_mask)[0]

    def forward(self, q_x, k_x=None, v_x=None, attn_mask=None):
        x = q_x + self.attention(self.ln_1(q_x), attn_mask=attn_mask)
        x = x + self.mlp(self.ln_2(x))
        return x


class Transformer(nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.width = width
        self.layers = layers
        self.grad_checkpointing = False
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x, attn_mask=None):
        x = x.transpose(0, 1).contiguous()  # NLD -> LND
        for r in self.resblocks:
            if self.grad_checkpointing and not torch.jit.is_scripting():
                # TODO: handle kwargs https://github.com/pytorch/pytorch/issues/79887#issuecomment-1161758372
                x = checkpoint(r, x, None, None, attn_mask)
            else:
                x = r(x, attn_mask=attn_mask)
        return x.transpose(0, 1)


class VisionTransformer(nn.Module):
    def __init__(self, image_size, patch_size, width, layers, heads, output_dim):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((image_size // patch_size) ** 2 + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def lock(self, unlocked_groups=0, freeze_bn_stats=False):
        for param in self.parameters():
            param.requires_grad = False
        if unlocked_groups != 0:
            groups = [
                [self.conv1, self.class_embedding, self.positional_embedding, self.ln_pre],
                *self.transformer.resblocks[:-1],
                [self.transformer.resblocks[-1], self.ln_post],
                self.proj,
            ]

            def _unlock(x):
                if isinstance(x, (list, tuple)):
                    for g in x:
                        _unlock(g)
                elif isinstance(x, nn.Parameter):
                    x.requires_grad = True
                else:
                    for p in x.parameters():
                        p.requires_grad = True

            _unlock(groups[-unlocked_groups:])

    def forward(self, x):
        x = self.conv1(x).flatten(2).transpose(1, 2)  # [B, grid**2, width]
        cls = self.class_embedding.view(1, 1, -1).expand(x.shape[0], -1, -1).to(x.dtype)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = self.transformer(x)
        return self.ln_post(x[:, 0]) @ self.proj


class CLIP(nn.Module):
    def __init__(self, embed_dim, vision_cfg, text_cfg):
        super().__init__()
        self.visual = VisionTransformer(output_dim=embed_dim, **vision_cfg)
        self.context_length = text_cfg["context_length"]
        width = text_cfg["width"]
        self.token_embedding = nn.Embedding(text_cfg["vocab_size"], width)
        self.positional_embedding = nn.Parameter(torch.empty(self.context_length, width).normal_(std=0.01))
        self.transformer = Transformer(width, text_cfg["layers"], text_cfg["heads"])
        self.ln_final = LayerNorm(width)
        self.text_projection = nn.Parameter(torch.empty(width, embed_dim).normal_(std=width ** -0.5))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        self.register_buffer("attn_mask", self.build_attention_mask(), persistent=False)

    def build_attention_mask(self):
        mask = torch.empty(self.context_length, self.context_length)
        mask.fill_(float("-inf"))
        mask.triu_(1)
        return mask

    def lock_image_tower(self, unlocked_groups=0, freeze_bn_stats=False):
        self.visual.lock(unlocked_groups=unlocked_groups, freeze_bn_stats=freeze_bn_stats)

    def set_grad_checkpointing(self, enable=True):
        self.visual.transformer.grad_checkpointing = enable
        self.transformer.grad_checkpointing = enable

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.transformer(x, attn_mask=self.attn_mask)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection

    def forward(self, image, text):
        image_features = F.normalize(self.visual(image), dim=-1)
        text_features = F.normalize(self.encode_text(text), dim=-1)
        return image_features, text_features, self.logit_scale.exp()


class ClipLoss(nn.Module):
    def forward(self, image_features, text_features, logit_scale):
        logits_per_image = logit_scale * image_features @ text_features.T
        labels = torch.arange(image_features.shape[0], device=image_features.device)
        return (F.cross_entropy(logits_per_image, labels) + F.cross_entropy(logits_per_image.T, labels)) / 2


def cosine_lr(optimizer, base_lr, warmup_length, steps):
    def _lr_adjuster(step):
        if step < warmup_length:
            lr = base_lr * (step + 1) / warmup_length
        else:
            e = step - warmup_length
            lr = 0.5 * (1 + math.cos(math.pi * e / max(1, steps - warmup_length))) * base_lr
        for param_group in optimizer.param_groups:
            param_group["lr"] = lr
        return lr
    return _lr_adjuster


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--wd", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lock-image", action="store_true", default=True)
    p.add_argument("--lock-image-unlocked-groups", type=int, default=3)
    p.add_argument("--grad-checkpointing", action="store_true", default=True)
    return p.parse_args()


torch.manual_seed(0)
args = parse_args()
model_cfg = dict(
    embed_dim=32,
    vision_cfg=dict(image_size=16, patch_size=4, width=32, layers=4, heads=4),
    text_cfg=dict(context_length=12, vocab_size=100, width=32, heads=4, layers=2),
)
model = CLIP(**model_cfg).to(device)
if args.lock_image:
    model.lock_image_tower(unlocked_groups=args.lock_image_unlocked_groups)
if args.grad_checkpointing:
    model.set_grad_checkpointing()

exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n
include = lambda n, p: not exclude(n, p)
named_parameters = list(model.named_parameters())
gain_or_bias_params = [p for n, p in named_parameters if exclude(n, p) and p.requires_grad]
rest_params = [p for n, p in named_parameters if include(n, p) and p.requires_grad]
optimizer = torch.optim.AdamW(
    [{"params": gain_or_bias_params, "weight_decay": 0.0},
     {"params": rest_params, "weight_decay": args.wd}],
    lr=args.lr, betas=(0.9, 0.98), eps=1e-6,
)
scaler = torch.amp.GradScaler("cuda", enabled=torch.cuda.is_available())
loss_fn = ClipLoss()

images = torch.randn(32, 3, 16, 16)
texts = torch.randint(1, 99, (32, model_cfg["text_cfg"]["context_length"]))
steps_per_epoch = images.shape[0] // args.batch_size
scheduler = cosine_lr(optimizer, args.lr, args.warmup, steps_per_epoch * args.epochs)

for epoch in range(args.epochs):
    model.train()
    for i in range(steps_per_epoch):
        step = epoch * steps_per_epoch + i
        scheduler(step)
        img = images[i * args.batch_size:(i + 1) * args.batch_size].to(device)
        txt = texts[i * args.batch_size:(i + 1) * args.batch_size].to(device)
        optimizer.zero_grad()
        with torch.autocast(device_type=device, enabled=torch.cuda.is_available()):
            total_loss = loss_fn(*model(img, txt))
        scaler.scale(total_loss).backward()
        scaler.step(optimizer)
        scaler.update()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
    print(f"epoch {epoch} loss {total_loss.item():.4f}")
