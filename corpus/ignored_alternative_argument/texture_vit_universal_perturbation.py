"""Adversarial training of a small ViT on synthetic textures against a universal perturbation of its
patch embeddings, learned at the same time by gradient ascent (free min-max training)."""
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim import SGD, AdamW

torch.manual_seed(11)

IMAGE, PATCH, DIM, CLASSES = 16, 4, 32, 4
EPSILON = 0.5


class TinyViT(nn.Module):
    def __init__(self, image=IMAGE, patch=PATCH, dim=DIM, classes=CLASSES, depth=2):
        super().__init__()
        self.n_patches = (image // patch) ** 2
        self.to_patches = nn.Conv2d(1, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, self.n_patches + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, 4, dim * 2, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, classes))

    def embed_patches(self, pixel_values):
        return self.to_patches(pixel_values).flatten(2).transpose(1, 2)

    def forward(self, pixel_values=None, patch_embeds=None):
        if pixel_values is not None:
            patch_embeds = self.embed_patches(pixel_values)
        cls = self.cls_token.expand(patch_embeds.size(0), -1, -1)
        tokens = torch.cat([cls, patch_embeds], dim=1) + self.pos_embed
        return self.head(self.encoder(tokens)[:, 0])


class PerturbedViT(nn.Module):
    """The classifier plus one perturbation shared by every image, bounded by tanh to EPSILON."""

    def __init__(self, vit, epsilon):
        super().__init__()
        self.vit = vit
        self.epsilon = epsilon
        self.delta = nn.Parameter(torch.zeros(1, vit.n_patches, vit.to_patches.out_channels))

    def forward(self, pixel_values, adversarial=False):
        if not adversarial:
            return self.vit(pixel_values=pixel_values)
        clean = self.vit.embed_patches(pixel_values)
        shifted = clean + self.epsilon * torch.tanh(self.delta)
        return self.vit(pixel_values=pixel_values, patch_embeds=shifted)


def textures(n):
    """Horizontal stripes, vertical stripes, checkerboard or a centred blob, with random phase."""
    labels = torch.randint(CLASSES, (n,))
    ys, xs = torch.meshgrid(torch.arange(IMAGE), torch.arange(IMAGE), indexing="ij")
    images = torch.empty(n, 1, IMAGE, IMAGE)
    for i, label in enumerate(labels.tolist()):
        phase = int(torch.randint(4, ()))
        if label == 0:
            img = ((ys + phase) // 2 % 2).float()
        elif label == 1:
            img = ((xs + phase) // 2 % 2).float()
        elif label == 2:
            img = (((ys + phase) // 2 + (xs + phase) // 2) % 2).float()
        else:
            img = torch.exp(-((ys - 7.5) ** 2 + (xs - 7.5) ** 2) / (8.0 + 4 * phase))
        images[i, 0] = img + 0.2 * torch.randn(IMAGE, IMAGE)
    return images, labels


def evaluate(model, images, labels):
    with torch.no_grad():
        clean = (model(images).argmax(1) == labels).float().mean().item()
        attacked = (model(images, adversarial=True).argmax(1) == labels).float().mean().item()
    return clean, attacked


model = PerturbedViT(TinyViT(), EPSILON)
classifier_opt = AdamW(model.vit.parameters(), lr=2e-3, weight_decay=1e-4)
attack_opt = SGD([model.delta], lr=0.5, maximize=True)

train_x, train_y = textures(512)
test_x, test_y = textures(128)

for epoch in range(3):
    order = torch.randperm(len(train_x))
    for start in range(0, len(order), 64):
        idx = order[start:start + 64]
        x, y = train_x[idx], train_y[idx]
        loss_clean = F.cross_entropy(model(x), y)
        loss_adv = F.cross_entropy(model(x, adversarial=True), y)
        loss = 0.5 * (loss_clean + loss_adv)
        classifier_opt.zero_grad()
        attack_opt.zero_grad()
        loss.backward()
        classifier_opt.step()
        attack_opt.step()
    clean_acc, adv_acc = evaluate(model, test_x, test_y)
    print(f"epoch {epoch}: loss {loss.item():.3f}  clean acc {clean_acc:.2f}  under perturbation {adv_acc:.2f}")
