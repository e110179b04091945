# Character-level transformer LM trained with the optimizer step fused into backward.
#
# Pattern from: https://github.com/pytorch/tutorials/blob/main/intermediate_source/optimizer_step_in_backward_tutorial.py
#
# Looks wrong but is fine: the training loop never calls optimizer.step() or zero_grad(),
# there is no single optimizer over model.parameters(), and loss.backward() is the last thing
# in the loop. Each parameter has its own AdamW instance, and a post-accumulate-grad hook
# steps it and frees its .grad as soon as that gradient has been accumulated, so every
# parameter is still updated once per batch. The evaluation loop under no_grad never fires
# the hooks (nothing calls backward there), and the learning-rate warm-up is applied by
# writing the lr into every per-parameter optimizer.
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

TEXT = ("the quick brown fox jumps over the lazy dog. " * 3 +
        "pack my box with five dozen liquor jugs. " * 3 +
        "how vexingly quick daft zebras jump! " * 3) * 20
CFG = {"block": 24, "d": 48, "heads": 4, "layers": 2, "lr": 4e-3, "wd": 0.01, "warmup": 20, "clip": 1.0}


class Block(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, h, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, mask):
        y = self.ln1(x)
        x = x + self.attn(y, y, y, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class CharLM(nn.Module):
    def __init__(self, vocab, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(vocab, cfg["d"])
        self.pos_emb = nn.Parameter(torch.zeros(1, cfg["block"], cfg["d"]))
        self.blocks = nn.ModuleList(Block(cfg["d"], cfg["heads"]) for _ in range(cfg["layers"]))
        self.ln_f = nn.LayerNorm(cfg["d"])
        self.lm_head = nn.Linear(cfg["d"], vocab)
        self.register_buffer("mask", torch.triu(torch.full((cfg["block"], cfg["block"]), float("-inf")), 1))

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok_emb(idx) + self.pos_emb[:, :t]
        for blk in self.blocks:
            x = blk(x, self.mask[:t, :t])
        return self.lm_head(self.ln_f(x))


def attach_optimizer_in_backward(model, cfg):
    optimizer_dict = {}
    for name, p in model.named_parameters():
        wd = 0.0 if p.ndim < 2 else cfg["wd"]
        optimizer_dict[p] = torch.optim.AdamW([p], lr=cfg["lr"], weight_decay=wd, foreach=False)

    def optimizer_hook(param):
        torch.nn.utils.clip_grad_norm_([param], cfg["clip"])   # per-parameter clipping
        optimizer_dict[param].step()
        optimizer_dict[param].zero_grad(set_to_none=True)

    for p in model.parameters():
        p.register_post_accumulate_grad_hook(optimizer_hook)
    return optimizer_dict


def set_lr(optimizer_dict, lr):
    for opt in optimizer_dict.values():
        for g in opt.param_groups:
            g["lr"] = lr


def get_batch(data, block, bs, gen):
    ix = torch.randint(0, len(data) - block - 1, (bs,), generator=gen)
    x = torch.stack([data[i:i + block] for i in ix])
    y = torch.stack([data[i + 1:i + block + 1] for i in ix])
    return x, y


@torch.no_grad()
def estimate_loss(model, data, gen, iters=3):
    model.eval()
    losses = []
    for _ in range(iters):
        x, y = get_batch(data, CFG["block"], 32, gen)
        logits = model(x)
        losses.append(F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item())
    model.train()
    return sum(losses) / len(losses)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    chars = sorted(set(TEXT))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in TEXT])
    n = int(0.9 * len(data))
    train_data, val_data = data[:n], data[n:]
    gen = torch.Generator().manual_seed(1)

    model = CharLM(len(chars), CFG)
    optimizer_dict = attach_optimizer_in_backward(model, CFG)

    for step in range(args.steps):
        lr = CFG["lr"] * min(1.0, (step + 1) / CFG["warmup"]) * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        set_lr(optimizer_dict, lr)
        x, y = get_batch(train_data, CFG["block"], args.batch_size, gen)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()          # parameters are updated inside backward by the hooks
        if step % 30 == 0 or step == args.steps - 1:
            print(f"step {step:4d}  lr {lr:.5f}  train {loss.item():.4f}  val {estimate_loss(model, val_data, gen):.4f}")


if __name__ == "__main__":
    main()
