# Report: https://github.com/KaiyangZhou/Dassl.pytorch/issues/67
# What goes wrong: a single nn.Parameter (the prompt context vectors) is handed to the optimizer
# instead of an iterable of tensors -> "TypeError: params argument given to the optimizer should be
# an iterable of Tensors or dicts", so the prompt is never trained.
# Repaired version: pass [ctx] (an iterable) to the optimizer.
import torch
import torch.nn as nn
import torch.nn.functional as F

N_CLS, N_CTX, DIM, IMG_DIM = 5, 4, 32, 48


class FrozenEncoders(nn.Module):
    """Stand-in for a pretrained CLIP: both towers stay frozen during prompt tuning."""

    def __init__(self):
        super().__init__()
        self.image_proj = nn.Sequential(nn.Linear(IMG_DIM, 64), nn.GELU(), nn.Linear(64, DIM))
        self.text_proj = nn.Linear(DIM, DIM)
        self.class_token_emb = nn.Embedding(N_CLS, DIM)
        self.requires_grad_(False)


class PromptLearner(nn.Module):
    def __init__(self):
        super().__init__()
        self.ctx = nn.Parameter(torch.randn(N_CTX, DIM) * 0.02)

    def forward(self, class_emb):                       # (N_CLS, DIM)
        ctx = self.ctx.unsqueeze(0).expand(N_CLS, -1, -1)
        return torch.cat([ctx, class_emb.unsqueeze(1)], dim=1)  # (N_CLS, N_CTX+1, DIM)


class CoOp(nn.Module):
    def __init__(self):
        super().__init__()
        self.clip = FrozenEncoders()
        self.prompt_learner = PromptLearner()
        self.logit_scale = 10.0

    def forward(self, images):
        img = F.normalize(self.clip.image_proj(images), dim=-1)
        prompts = self.prompt_learner(self.clip.class_token_emb.weight)
        txt = F.normalize(self.clip.text_proj(prompts.mean(1)), dim=-1)
        return self.logit_scale * img @ txt.t()


def build_optimizer(params, lr=2e-3, momentum=0.9, weight_decay=5e-4):
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def train(model, steps=200):
    optim = build_optimizer([model.prompt_learner.ctx], lr=0.5)
    protos = torch.randn(N_CLS, IMG_DIM)
    for step in range(steps):
        labels = torch.randint(0, N_CLS, (32,))
        images = protos[labels] + 0.5 * torch.randn(32, IMG_DIM)
        loss = F.cross_entropy(model(images), labels)
        optim.zero_grad()
        loss.backward()
        optim.step()
        if step % 40 == 0:
            print(f"step {step:3d}  loss {loss.item():.4f}")


if __name__ == "__main__":
    torch.manual_seed(0)
    train(CoOp())
