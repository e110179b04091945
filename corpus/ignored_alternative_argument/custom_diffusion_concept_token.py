"""Custom-Diffusion-style personalisation of a tiny text-conditioned denoiser: a new token <ring>
gets a learned embedding and the cross-attention key/value projections are fine-tuned, while the
rest of the denoiser and the text encoder stay frozen. Regularisation images keep the class word."""
import math
from types import SimpleNamespace

import torch
import torch.nn as nn
import torch.nn.functional as F

cfg = SimpleNamespace(size=8, patch=2, dim=32, vocab=16, timesteps=100, batch=24, steps=50, lr=2e-3, seed=5)
torch.manual_seed(cfg.seed)

VOCAB = {"<bos>": 1, "<eos>": 2, "a": 3, "photo": 4, "of": 5, "square": 6, "shape": 7, "<ring>": 8}


class TextEncoder(nn.Module):
    def __init__(self, vocab, dim, max_len=8):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, dim)
        self.position_embedding = nn.Parameter(torch.randn(max_len, dim) * 0.02)
        self.layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, batch_first=True)

    def forward(self, input_ids=None, inputs_embeds=None):
        if input_ids is not None:
            inputs_embeds = self.token_embedding(input_ids)
        return self.layer(inputs_embeds + self.position_embedding[: inputs_embeds.size(1)])


class CrossAttention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context):
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)
        weights = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(q.size(-1)), dim=-1)
        return self.to_out(weights @ v)


class TinyDenoiser(nn.Module):
    def __init__(self, size, patch, dim, timesteps):
        super().__init__()
        self.patch = patch
        self.stem = nn.Conv2d(1, dim, patch, stride=patch)
        self.time_embedding = nn.Embedding(timesteps, dim)
        self.attn = CrossAttention(dim)
        self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.unpatch = nn.ConvTranspose2d(dim, 1, patch, stride=patch)

    def forward(self, sample, timestep, encoder_hidden_states):
        h = self.stem(sample)
        b, c, height, width = h.shape
        tokens = h.flatten(2).transpose(1, 2) + self.time_embedding(timestep)[:, None]
        tokens = tokens + self.attn(tokens, encoder_hidden_states)
        tokens = tokens + self.mlp(tokens)
        return self.unpatch(tokens.transpose(1, 2).reshape(b, c, height, width))


class ConceptTuner(nn.Module):
    def __init__(self, text_encoder, init_token):
        super().__init__()
        self.text_encoder = text_encoder
        self.placeholder_id = VOCAB["<ring>"]
        self.concept_embedding = nn.Parameter(text_encoder.token_embedding.weight[init_token].detach().clone())

    def forward(self, input_ids):
        embeds = self.text_encoder.token_embedding(input_ids)
        is_concept = (input_ids == self.placeholder_id).unsqueeze(-1)
        embeds = torch.where(is_concept, self.concept_embedding, embeds)
        return self.text_encoder(input_ids=input_ids, inputs_embeds=embeds)


def tokenize(words):
    return torch.tensor([VOCAB["<bos>"]] + [VOCAB[w] for w in words.split()] + [VOCAB["<eos>"]])


def ring_images(n):
    ys, xs = torch.meshgrid(torch.arange(cfg.size) - 3.5, torch.arange(cfg.size) - 3.5, indexing="ij")
    radius = 2.0 + 0.8 * torch.rand(n, 1, 1)
    return (((ys**2 + xs**2).sqrt() - radius).abs() < 0.7).float().unsqueeze(1) * 2 - 1


def square_images(n):
    images = -torch.ones(n, 1, cfg.size, cfg.size)
    for i in range(n):
        top, left = torch.randint(0, 4, (2,)).tolist()
        images[i, 0, top:top + 4, left:left + 4] = 1.0
    return images


def main():
    text_encoder = TextEncoder(cfg.vocab, cfg.dim)
    denoiser = TinyDenoiser(cfg.size, cfg.patch, cfg.dim, cfg.timesteps)
    for module in (text_encoder, denoiser):
        module.requires_grad_(False)
    trainable_kv = [denoiser.attn.to_k.weight, denoiser.attn.to_v.weight]
    for weight in trainable_kv:
        weight.requires_grad_(True)
    tuner = ConceptTuner(text_encoder, init_token=VOCAB["shape"])

    optimizer = torch.optim.AdamW([
        {"params": [tuner.concept_embedding], "lr": 5 * cfg.lr},
        {"params": trainable_kv, "lr": cfg.lr},
    ], weight_decay=0.0)

    betas = torch.linspace(1e-4, 0.05, cfg.timesteps)
    alpha_bar = torch.cumprod(1 - betas, dim=0)
    concept_prompt, class_prompt = tokenize("a photo of <ring>"), tokenize("a photo of square")

    for step in range(cfg.steps):
        half = cfg.batch // 2
        images = torch.cat([ring_images(half), square_images(half)])
        prompts = torch.stack([concept_prompt] * half + [class_prompt] * half)
        t = torch.randint(0, cfg.timesteps, (cfg.batch,))
        noise = torch.randn_like(images)
        scale = alpha_bar[t].view(-1, 1, 1, 1)
        noisy = scale.sqrt() * images + (1 - scale).sqrt() * noise
        prediction = denoiser(noisy, t, encoder_hidden_states=tuner(prompts))
        loss = F.mse_loss(prediction, noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0 or step == cfg.steps - 1:
            print(f"step {step:02d}  denoising loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
