"""Fine-tuning the OpenAI transformer LM (GPT-1) on ROCStories (story cloze), PyTorch port.

Two candidate endings per story are encoded as `_start_ story _delimiter_ ending _classify_`; the
classifier reads the hidden state at the `_classify_` token; an auxiliary LM loss is kept (lm_coef).
"""
import argparse
import math
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import Optimizer

parser = argparse.ArgumentParser()
parser.add_argument('--seed', type=int, default=42)
parser.add_argument('--n_iter', type=int, default=3)
parser.add_argument('--n_batch', type=int, default=8)
parser.add_argument('--max_grad_norm', type=int, default=1)
parser.add_argument('--lr', type=float, default=6.25e-5)
parser.add_argument('--lr_warmup', type=float, default=0.002)
parser.add_argument('--n_ctx', type=int, default=24)
parser.add_argument('--n_embd', type=int, default=32)
parser.add_argument('--n_head', type=int, default=4)
parser.add_argument('--n_layer', type=int, default=2)
parser.add_argument('--embd_pdrop', type=float, default=0.1)
parser.add_argument('--attn_pdrop', type=float, default=0.1)
parser.add_argument('--resid_pdrop', type=float, default=0.1)
parser.add_argument('--clf_pdrop', type=float, default=0.1)
parser.add_argument('--l2', type=float, default=0.01)
parser.add_argument('--vector_l2', action='store_true')
parser.add_argument('--lm_coef', type=float, default=0.5)
args = parser.parse_args()
random.seed(args.seed)
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Conv1D(nn.Module):
    def __init__(self, nf, rf, nx):
        super().__init__()
        self.nf = nf
        self.w = nn.Parameter(torch.empty(nx, nf).normal_(std=0.02))
        self.b = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        return torch.addmm(self.b, x.view(-1, x.size(-1)), self.w).view(*size_out)


class Attention(nn.Module):
    def __init__(self, nx, n_ctx, cfg, scale=False):
        super().__init__()
        self.register_buffer('b', torch.tril(torch.ones(n_ctx, n_ctx)).view(1, 1, n_ctx, n_ctx))
        self.n_head, self.split_size, self.scale = cfg.n_head, nx, scale
        self.c_attn, self.c_proj = Conv1D(nx * 3, 1, nx), Conv1D(nx, 1, nx)
        self.attn_dropout, self.resid_dropout = nn.Dropout(cfg.attn_pdrop), nn.Dropout(cfg.resid_pdrop)

    def forward(self, x):
        q, k, v = self.c_attn(x).split(self.split_size, dim=2)
        q, k, v = [t.view(t.size(0), t.size(1), self.n_head, -1).transpose(1, 2) for t in (q, k, v)]
        w = q @ k.transpose(-1, -2)
        if self.scale:
            w = w / math.sqrt(v.size(-1))
        b = self.b[:, :, :w.size(-2), :w.size(-1)]
        w = self.attn_dropout(F.softmax(w * b + -1e9 * (1 - b), dim=-1))
        a = (w @ v).transpose(1, 2).contiguous().view(x.size())
        return self.resid_dropout(self.c_proj(a))


class Block(nn.Module):
    def __init__(self, n_ctx, cfg, scale=False):
        super().__init__()
        nx = cfg.n_embd
        self.attn = Attention(nx, n_ctx, cfg, scale)
        self.ln_1, self.ln_2 = nn.LayerNorm(nx, eps=1e-5), nn.LayerNorm(nx, eps=1e-5)
        self.mlp = nn.Sequential(Conv1D(4 * nx, 1, nx), nn.GELU(), Conv1D(nx, 1, 4 * nx), nn.Dropout(cfg.resid_pdrop))

    def forward(self, x):
        n = self.ln_1(x + self.attn(x))
        return self.ln_2(n + self.mlp(n))


class Model(nn.Module):
    """ Transformer model """

    def __init__(self, cfg, vocab=40990, n_ctx=512):
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(vocab, cfg.n_embd)
        self.drop = nn.Dropout(cfg.embd_pdrop)
        self.h = nn.ModuleList([Block(n_ctx, cfg, scale=True) for _ in range(cfg.n_layer)])
        nn.init.normal_(self.embed.weight, std=0.02)

    def forward(self, x):
        x = x.view(-1, x.size(-2), x.size(-1))
        h = self.drop(self.embed(x)).sum(dim=2)  # token + position embeddings
        for block in self.h:
            h = block(h)
        return h


class LMHead(nn.Module):
    """ Language Model Head for the transformer """

    def __init__(self, model, cfg):
        super().__init__()
        self.n_embd = cfg.n_embd
        self.decoder = nn.Linear(cfg.n_embd, model.embed.weight.shape[0], bias=False)
        self.decoder.weight = model.embed.weight  # Tied weights

    def forward(self, h):
        return self.decoder(h[:, :-1].contiguous().view(-1, self.n_embd))


class ClfHead(nn.Module):
    """ Classifier Head for the transformer """

    def __init__(self, clf_token, cfg):
        super().__init__()
        self.n_embd, self.clf_token = cfg.n_embd, clf_token
        self.dropout = nn.Dropout(cfg.clf_pdrop)
        self.linear = nn.Linear(cfg.n_embd, 1)
        nn.init.normal_(self.linear.weight, std=0.02)
        nn.init.normal_(self.linear.bias, 0)

    def forward(self, h, x):
        clf_h = h.view(-1, self.n_embd)
        flat = x[:, :, :, 0].contiguous().view(-1)
        clf_h = clf_h[flat == self.clf_token, :]
        clf_logits = self.linear(self.dropout(clf_h))
        return clf_logits.view(-1, x.size(1))


def warmup_linear(x, warmup=0.002):
    return x / warmup if x < warmup else 1 - x


class OpenAIAdam(Optimizer):
    """Adam with the original OpenAI schedule, decoupled L2 and per-tensor gradient clipping."""

    def __init__(self, params, lr, schedule='warmup_linear', warmup=-1, t_total=-1, b1=0.9, b2=0.999, e=1e-8,
                 l2=0, vector_l2=False, max_grad_norm=-1):
        defaults = dict(lr=lr, schedule=schedule, warmup=warmup, t_total=t_total, b1=b1, b2=b2, e=e, l2=l2,
                        vector_l2=vector_l2, max_grad_norm=max_grad_norm)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state['step'], state['exp_avg'], state['exp_avg_sq'] = 0, torch.zeros_like(p), torch.zeros_like(p)
                if group['max_grad_norm'] > 0:
                    torch.nn.utils.clip_grad_norm_(p, group['max_grad_norm'])
                state['step'] += 1
                exp_avg, exp_avg_sq = state['exp_avg'], state['exp_avg_sq']
                exp_avg.mul_(group['b1']).add_(p.grad, alpha=1 - group['b1'])
                exp_avg_sq.mul_(group['b2']).addcmul_(p.grad, p.grad, value=1 - group['b2'])
                bias_c1, bias_c2 = 1 - group['b1'] ** state['step'], 1 - group['b2'] ** state['step']
                lr_scheduled = group['lr'] * warmup_linear(state['step'] / group['t_total'], group['warmup'])
                step_size = lr_scheduled * math.sqrt(bias_c2) / bias_c1
                p.addcdiv_(exp_avg, exp_avg_sq.sqrt().add_(group['e']), value=-step_size)
                if (p.dim() > 1 or group['vector_l2']) and group['l2'] > 0:
                    p.add_(p, alpha=-lr_scheduled * group['l2'])


class LossCompute:
    "A Loss compute and train function."

    def __init__(self, lm_criterion, clf_criterion, lm_coef, opt=None):
        self.lm_criterion, self.clf_criterion, self.lm_coef, self.opt = lm_criterion, clf_criterion, lm_coef, opt

    def __call__(self, X, Y, M, clf_logits, lm_logits=None):
        x_shifted = X[:, :, 1:, 0].contiguous().view(-1)
        M = M.view(-1, M.size(2))
        lm_losses = self.lm_criterion(lm_logits, x_shifted).view(X.size(0) * X.size(1), X.size(2) - 1)
        lm_losses = (lm_losses * M[:, 1:]).sum(1) / torch.sum(M[:, 1:], 1)
        clf_losses = self.clf_criterion(clf_logits, Y)
        train_loss = clf_losses.sum() + self.lm_coef * lm_losses.sum()
        train_loss.backward()
        if self.opt is not None:
            self.opt.step()
            self.opt.zero_grad()
        return train_loss.item()


def transform_roc(X1, X2, X3):
    n_batch = len(X1)
    xmb = torch.zeros(n_batch, 2, n_ctx, 2, dtype=torch.long)
    mmb = torch.zeros(n_batch, 2, n_ctx)
    for i, (x1, x2, x3) in enumerate(zip(X1, X2, X3)):
        for j, ending in enumerate((x2, x3)):
            seq = [start] + x1[:max_len] + [delimiter] + ending[:max_len] + [clf_token]
            xmb[i, j, :len(seq), 0] = torch.tensor(seq)
            mmb[i, j, :len(seq)] = 1
    xmb[:, :, :, 1] = torch.arange(n_vocab + n_special, n_vocab + n_special + n_ctx)
    return xmb, mmb


def run_epoch():
    order = list(range(n_train))
    random.shuffle(order)
    for k in range(0, n_train - n_batch_train + 1, n_batch_train):
        idx = torch.tensor(order[k:k + n_batch_train])
        model.train()
        XMB, YMB, MMB = trX[idx].to(device), trY[idx].to(device), trM[idx].to(device)
        h = model(XMB)
        lm_logits = lm_head(h)
        clf_logits = clf_head(h, XMB)
        loss = compute_loss_fct(XMB, YMB, MMB, clf_logits, lm_logits)
    print(f"last batch loss {loss:.4f}")


# Synthetic ROCStories-like data: a 4-sentence story and two candidate endings.
n_vocab, n_special, n_ctx = 64, 3, args.n_ctx
start, delimiter, clf_token = n_vocab, n_vocab + 1, n_vocab + 2
max_len = n_ctx // 2 - 2
stories = [[random.randrange(n_vocab) for _ in range(8)] for _ in range(48)]
right = [s[-4:] for s in stories]
wrong = [[random.randrange(n_vocab) for _ in range(4)] for _ in stories]
trY = torch.tensor([random.randint(0, 1) for _ in stories])
X2 = [r if y == 0 else w for r, w, y in zip(right, wrong, trY.tolist())]
X3 = [w if y == 0 else r for r, w, y in zip(right, wrong, trY.tolist())]
trX, trM = transform_roc(stories, X2, X3)
n_train, n_batch_train = len(trY), args.n_batch
n_updates_total = (n_train // n_batch_train) * args.n_iter
vocab = n_vocab + n_special + n_ctx

model = Model(args, vocab, n_ctx)
lm_head = LMHead(model, args)
clf_head = ClfHead(clf_token, args)
criterion = nn.CrossEntropyLoss(reduction='none')
model_opt = OpenAIAdam(model.parameters(), lr=args.lr, schedule='warmup_linear', warmup=args.lr_warmup,
                       t_total=n_updates_total, l2=args.l2, vector_l2=args.vector_l2,
                       max_grad_norm=args.max_grad_norm)
compute_loss_fct = LossCompute(criterion, criterion, args.lm_coef, model_opt)
model.to(device)
lm_head.to(device)
clf_head.to(device)

for i in range(args.n_iter):
    print("running epoch", i)
    run_epoch()
