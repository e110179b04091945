"""Image-text matching with a frozen text tower: the tower is frozen with requires_grad_(False) and
the optimizer is built over what requires grad, so only the image projection and the temperature
train. The no_grad block in forward, meant for the text tower, also wraps the image projection
(randomly initialised, held by the optimizer): it never trains."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class TextTower(nn.Module):
    def __init__(self, vocab=100, dim=32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, dim)

    def forward(self, ids):
        return self.mix(self.embed(ids)).mean(1)


class Matcher(nn.Module):
    def __init__(self, image_dim=48, dim=32):
        super().__init__()
        self.text_tower = TextTower(dim=dim)
        self.image_proj = nn.Linear(image_dim, dim)
        self.log_temperature = nn.Parameter(torch.tensor(2.0))

    def forward(self, ids, image_feats):
        with torch.no_grad():
            text = self.text_tower(ids)
        image = self.image_proj(image_feats)
        logits = self.log_temperature.exp() * F.normalize(image, dim=-1) @ F.normalize(text, dim=-1).t()
        return logits


def pairs(n=16):
    ids = torch.randint(0, 100, (n, 8))
    image_feats = torch.randn(n, 48)
    return ids, image_feats


def main():
    torch.manual_seed(0)
    model = Matcher()
    model.text_tower.requires_grad_(False)
    optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-2)
    for step in range(50):
        ids, image_feats = pairs()
        logits = model(ids, image_feats)
        target = torch.arange(len(ids))
        loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target)) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print("final loss", loss.item())


main()
