"""Teach a frozen toy captioner to name the colour and shape in synthetic 16x16 images by training
only a query-token bridge (BLIP-2 style) between its vision tower and its decoder."""
from dataclasses import dataclass
import random

import torch

from captioner import QueryBridge, TinyVLM

COLOURS = ["red", "green", "blue"]
SHAPES = ["square", "bar", "cross"]
WORDS = ["<pad>", "<bos>", "<eos>", "a"] + COLOURS + SHAPES
TOKEN = {w: i for i, w in enumerate(WORDS)}


@dataclass
class TrainConfig:
    dim: int = 32
    num_queries: int = 4
    batch_size: int = 32
    steps: int = 60
    lr: float = 3e-3
    seed: int = 3


def draw(colour, shape, rng):
    image = torch.rand(3, 16, 16) * 0.1
    top, left = rng.randint(1, 8), rng.randint(1, 8)
    channel = COLOURS.index(colour)
    if shape == "square":
        image[channel, top:top + 6, left:left + 6] = 1.0
    elif shape == "bar":
        image[channel, top:top + 2, left:left + 7] = 1.0
    else:
        image[channel, top + 2, left:left + 6] = 1.0
        image[channel, top:top + 6, left + 2] = 1.0
    return image


def sample_batch(n, rng):
    images, captions = [], []
    for _ in range(n):
        colour, shape = rng.choice(COLOURS), rng.choice(SHAPES)
        images.append(draw(colour, shape, rng))
        captions.append([TOKEN[w] for w in ("<bos>", "a", colour, shape, "<eos>")])
    return torch.stack(images), torch.tensor(captions)


def main():
    cfg = TrainConfig()
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    vlm = TinyVLM(len(WORDS), cfg.dim)
    model = QueryBridge(vlm, num_queries=cfg.num_queries, dim=cfg.dim)
    params = [p for p in model.parameters() if p.requires_grad]
    print(f"training {sum(p.numel() for p in params)} of {sum(p.numel() for p in model.parameters())} weights")
    opt = torch.optim.Adam(params, lr=cfg.lr)

    for step in range(1, cfg.steps + 1):
        pixels, captions = sample_batch(cfg.batch_size, rng)
        loss, _ = model(pixels, captions, labels=captions)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 20 == 0:
            print(f"step {step:3d}  caption loss {loss.item():.3f}")

    pixels, captions = sample_batch(64, rng)
    with torch.no_grad():
        logits = model(pixels, captions)
    words_right = (logits[:, 1:3].argmax(-1) == captions[:, 2:4]).float().mean()
    print(f"colour/shape tokens predicted: {words_right.item():.2%}")


if __name__ == "__main__":
    main()
