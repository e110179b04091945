"""A tiny encoder-decoder copy task in the style of the Annotated Transformer: the output
projection (`Generator`) is a module of its own, next to the model, and the optimizer is a
two-level subclass (a base Adam of the project, and the Noam schedule on top)."""
import math

import torch
from torch import nn
from torch.optim import Optimizer


class PlainAdam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.98), eps=1e-9):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["t"], st["m"], st["v"] = 0, torch.zeros_like(p), torch.zeros_like(p)
                st["t"] += 1
                st["m"].lerp_(p.grad, 1 - b1)
                st["v"].mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                m_hat = st["m"] / (1 - b1 ** st["t"])
                v_hat = st["v"] / (1 - b2 ** st["t"])
                p.sub_(group["lr"] * m_hat / (v_hat.sqrt() + group["eps"]))


class NoamAdam(PlainAdam):
    def __init__(self, params, d_model, factor=1.0, warmup=400):
        super().__init__(params, lr=0.0)
        self.d_model, self.factor, self.warmup, self._step = d_model, factor, warmup, 0

    def rate(self):
        return self.factor * self.d_model ** -0.5 * min(self._step ** -0.5, self._step * self.warmup ** -1.5)

    def step(self, closure=None):
        self._step += 1
        for group in self.param_groups:
            group["lr"] = self.rate()
        super().step(closure)


class Seq2Seq(nn.Module):
    def __init__(self, vocab, d_model):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.encoder = nn.GRU(d_model, d_model, batch_first=True)
        self.decoder = nn.GRU(d_model, d_model, batch_first=True)

    def forward(self, src, tgt):
        _, h = self.encoder(self.embed(src))
        out, _ = self.decoder(self.embed(tgt), h)
        return out


class Generator(nn.Module):
    def __init__(self, d_model, vocab):
        super().__init__()
        self.proj = nn.Linear(d_model, vocab)

    def forward(self, x):
        return torch.log_softmax(self.proj(x), dim=-1)


class CopyTaskTrainer:
    def __init__(self, vocab=11, d_model=32):
        self.vocab = vocab
        self.model = Seq2Seq(vocab, d_model)
        self.generator = Generator(d_model, vocab)
        self.optimizer = NoamAdam(list(self.model.parameters()) + list(self.generator.parameters()), d_model=d_model, factor=2.0, warmup=40)
        self.criterion = nn.NLLLoss()

    def batch(self, n=24, length=8):
        src = torch.randint(1, self.vocab, (n, length))
        src[:, 0] = 1
        return src, src

    def train(self, steps):
        for step in range(steps):
            src, tgt = self.batch()
            out = self.generator(self.model(src, tgt[:, :-1]))
            loss = self.criterion(out.reshape(-1, self.vocab), tgt[:, 1:].reshape(-1))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            if step % 20 == 0:
                print(f"step {step} loss {loss.item():.3f} lr {self.optimizer.rate():.2e}")


if __name__ == "__main__":
    torch.manual_seed(0)
    CopyTaskTrainer().train(100)
