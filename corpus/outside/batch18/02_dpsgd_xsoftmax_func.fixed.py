# DP-SGD fine-tuning of a tiny DeBERTa-style classifier with per-sample gradients
# computed by torch.func (vmap over grad of a functional_call).
#
# Reproduces: https://github.com/huggingface/transformers/issues/29463
#   The attention uses DeBERTa's XSoftmax, a custom torch.autograd.Function written
#   in the old "combined" style: forward(ctx, ...) stores what backward needs on ctx.
#   torch.func transforms can only see through an autograd.Function that splits
#   forward and setup_context (and says how to vmap it), so the very first
#   per-sample-gradient call fails with
#   "In order to use an autograd.Function with functorch transforms (vmap, grad, jvp,
#   jacrev, ...), it must override the setup_context staticmethod."
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap
from torch.utils.data import DataLoader, TensorDataset


class XSoftmax(torch.autograd.Function):
    """Masked softmax that zeroes padded positions (as in modeling_deberta_v2)."""

    generate_vmap_rule = True

    @staticmethod
    def forward(input, mask, dim):
        rmask = ~(mask.to(torch.bool))
        output = input.masked_fill(rmask, torch.finfo(input.dtype).min)
        output = torch.softmax(output, dim)
        output = output.masked_fill(rmask, 0.0)
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.dim = inputs[2]
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        grad_input = output * (grad_output - (grad_output * output).sum(ctx.dim, keepdim=True))
        return grad_input, None, None


class TinyDebertaLayer(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h, self.dk = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))

    def forward(self, x, mask):
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.h, self.dk).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / self.dk ** 0.5
        att_mask = (mask[:, None, :, None] * mask[:, None, None, :])
        probs = XSoftmax.apply(scores, att_mask, -1)
        ctx = (probs @ v).transpose(1, 2).reshape(b, n, d)
        x = self.ln1(x + self.out(ctx))
        return self.ln2(x + self.ff(x))


class TinyDebertaClassifier(nn.Module):
    def __init__(self, vocab, d=32, heads=4, max_len=16, n_cls=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_len, d)
        self.layer = TinyDebertaLayer(d, heads)
        self.head = nn.Linear(d, n_cls)

    def forward(self, ids, mask):
        pos = torch.arange(ids.shape[1], device=ids.device)
        h = self.layer(self.tok(ids) + self.pos(pos), mask)
        pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(pooled)


def make_data(n, vocab, max_len, seed):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(6, max_len + 1, (n,), generator=g)
    ids = torch.randint(3, vocab, (n, max_len), generator=g)
    mask = (torch.arange(max_len)[None] < lengths[:, None]).float()
    ids = ids * mask.long()  # pad id 0
    labels = (((ids == 5) | (ids == 6)).sum(1) > ((ids == 7) | (ids == 8)).sum(1)).long()
    return ids, mask, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch_size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--max_grad_norm", type=float, default=1.0)
    ap.add_argument("--noise_multiplier", type=float, default=0.5)
    args = ap.parse_args()
    cfg = {"vocab": 40, "max_len": 16, "n_train": 192, "seed": 0}
    torch.manual_seed(cfg["seed"])

    ids, mask, labels = make_data(cfg["n_train"], cfg["vocab"], cfg["max_len"], cfg["seed"])
    loader = DataLoader(TensorDataset(ids, mask, labels), batch_size=args.batch_size, shuffle=True)
    model = TinyDebertaClassifier(cfg["vocab"], max_len=cfg["max_len"])
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)

    with torch.no_grad():
        acc0 = (model(ids, mask).argmax(-1) == labels).float().mean().item()
    print(f"initial train acc {acc0:.3f}")

    def sample_loss(params, x, m, y):
        logits = functional_call(model, params, (x[None], m[None]))
        return F.cross_entropy(logits, y[None])

    per_sample_grad = vmap(grad(sample_loss), in_dims=(None, 0, 0, 0))

    for epoch in range(args.epochs):
        for step, (x, m, y) in enumerate(loader):
            params = {k: v.detach() for k, v in model.named_parameters()}
            grads = per_sample_grad(params, x, m, y)
            norms = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))
            scale = (args.max_grad_norm / (norms + 1e-6)).clamp(max=1.0)
            for name, p in model.named_parameters():
                g = (grads[name] * scale.view(-1, *[1] * (grads[name].dim() - 1))).sum(0)
                g = g + torch.randn_like(g) * args.noise_multiplier * args.max_grad_norm
                p.grad = g / x.shape[0]
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            logits = model(ids, mask)
            loss = F.cross_entropy(logits, labels).item()
            acc = (logits.argmax(-1) == labels).float().mean().item()
        print(f"epoch {epoch}: loss {loss:.4f} acc {acc:.3f} mean clip factor {scale.mean().item():.3f}")


if __name__ == "__main__":
    main()
