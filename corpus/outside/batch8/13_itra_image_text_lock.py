"""Image-text contrastive training (ITRA / CLIP style) with partially locked text tower.

`--lock-text-partial` takes a comma separated list of parameter-name keywords to freeze
(prefix a keyword with '!' to unfreeze it when the whole tower is locked).
"""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

VOCAB, CTX, WIDTH, LAYERS, EMBED = 100, 8, 32, 12, 32


class Args:
    lock_text_model = False
    lock_text_partial = "token_embedding,positional_embedding,resblocks.0,resblocks.1"
    lock_image_model = False
    lock_image_partial = ""
    lr, wd = 5e-4, 0.1
    batch_size, steps = 16, 20


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model, n_head):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head, batch_first=True)
        self.ln_1 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(d_model, d_model * 2)), ("gelu", nn.GELU()), ("c_proj", nn.Linear(d_model * 2, d_model))]))
        self.ln_2 = nn.LayerNorm(d_model)

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class TextBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.token_embedding = nn.Embedding(VOCAB, WIDTH)
        self.positional_embedding = nn.Parameter(torch.randn(CTX, WIDTH) * 0.01)
        self.transformer = Transformer(WIDTH, LAYERS, heads=2)
        self.ln_final = nn.LayerNorm(WIDTH)
        self.output_dim = WIDTH

    def forward(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.ln_final(self.transformer(x))
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)]


class ImageBackbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = nn.Sequential(nn.Conv2d(16, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.output_dim = 32

    def forward(self, x):
        return self.pool(self.layer1(self.stem(x))).flatten(1)


class ItraModel(nn.Module):
    def __init__(self, text_backbone, image_backbone, args):
        super().__init__()
        self.text_backbone = text_backbone
        self.image_backbone = image_backbone
        self.text_projection_head = nn.Linear(text_backbone.output_dim, EMBED, bias=False)
        self.image_projection_head = nn.Linear(image_backbone.output_dim, EMBED, bias=False)
        self.logit_scale = nn.Parameter(torch.ones([]) * 2.659)

    def encode_text(self, text):
        return F.normalize(self.text_projection_head(self.text_backbone(text)), dim=-1)

    def encode_image(self, image):
        return F.normalize(self.image_projection_head(self.image_backbone(image)), dim=-1)


def get_model(args):
    text_backbone = TextBackbone()
    image_backbone = ImageBackbone()
    # Set 'param.required_grad'
    for name, param in text_backbone.named_parameters():
        param.requires_grad = False if args.lock_text_model else True
        if args.lock_text_partial != '':
            for keyword in args.lock_text_partial.split(','):
                if keyword.replace('!', '') in name:
                    if '!' in keyword:
                        param.requires_grad = True
                        if args.lock_text_model:
                            break
                    else:
                        param.requires_grad = False
                        if not args.lock_text_model:
                            break
    for name, param in image_backbone.named_parameters():
        param.requires_grad = False if args.lock_image_model else True
        if args.lock_image_partial != '':
            for keyword in args.lock_image_partial.split(','):
                if keyword.replace('!', '') in name:
                    param.requires_grad = '!' in keyword
    return ItraModel(text_backbone=text_backbone, image_backbone=image_backbone, args=args)


def make_pairs(n):
    """Caption token k <-> image whose dominant colour/quadrant encodes k."""
    cls = torch.randint(0, 12, (n,))
    text = torch.randint(3, VOCAB, (n, CTX))
    text[:, 1] = 3 + cls
    text[:, -1] = VOCAB - 1          # end-of-text token (highest id)
    img = 0.1 * torch.randn(n, 3, 16, 16)
    for i, c in enumerate(cls.tolist()):
        r, q = divmod(c, 4)
        img[i, r, (q // 2) * 8:(q // 2) * 8 + 8, (q % 2) * 8:(q % 2) * 8 + 8] += 1.0
    return img, text


if __name__ == "__main__":
    args = Args()
    model = get_model(args)
    params = [p for p in model.parameters() if p.requires_grad]
    print(f"trainable tensors: {len(params)} / {len(list(model.parameters()))}")
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.wd)
    for step in range(args.steps):
        images, texts = make_pairs(args.batch_size)
        image_features = model.encode_image(images)
        text_features = model.encode_text(texts)
        logits = model.logit_scale.exp() * image_features @ text_features.t()
        labels = torch.arange(args.batch_size)
        loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 5 == 0:
            print(f"step {step} contrastive loss {loss.item():.4f}")
