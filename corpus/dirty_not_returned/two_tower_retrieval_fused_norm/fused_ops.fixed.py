"""In-place ops for the retrieval towers: they write into the activation they are given, so a
batch of 4k embeddings does not cost a second buffer."""
import torch


class L2Normalize_(torch.autograd.Function):
    """Row-wise L2 normalisation in place; keeps an EMA of the pre-normalisation norm for monitoring."""

    @staticmethod
    def forward(ctx, emb, norm_ema, momentum, eps):
        norms = emb.norm(dim=-1, keepdim=True).clamp_min(eps)
        norm_ema.lerp_(norms.mean().reshape(norm_ema.shape), momentum)
        emb.div_(norms)
        ctx.mark_dirty(emb)
        ctx.save_for_backward(emb, norms)
        return emb

    @staticmethod
    def backward(ctx, grad_out):
        unit, norms = ctx.saved_tensors
        radial = (grad_out * unit).sum(dim=-1, keepdim=True)
        return (grad_out - unit * radial) / norms, None, None, None


class Scale_(torch.autograd.Function):
    """logits * factor, written into the logits."""

    @staticmethod
    def forward(ctx, logits, factor):
        ctx.factor = factor
        logits.mul_(factor)
        ctx.mark_dirty(logits)
        return logits

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.factor, None


def l2_normalize_(emb, norm_ema, momentum=0.05, eps=1e-6):
    return L2Normalize_.apply(emb, norm_ema, momentum, eps)


def scale_(logits, factor):
    return Scale_.apply(logits, factor)
