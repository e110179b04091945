# Report: https://github.com/OpenNMT/OpenNMT-py/issues/1140
# "Question about -max_grad_norm 0": with max_grad_norm 0 meaning "no clipping", passing 0
# straight to clip_grad_norm_ scales every gradient to zero. This trainer forgot the guard.
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

OPT = {"vocab": 50, "emb": 32, "rnn_size": 48, "learning_rate": 1e-3, "max_grad_norm": 0,
       "train_steps": 30, "batch_size": 16, "src_len": 12, "tgt_len": 10}


class Encoder(nn.Module):
    def __init__(self, vocab, emb, hid):
        super().__init__()
        self.embeddings = nn.Embedding(vocab, emb, padding_idx=0)
        self.rnn = nn.GRU(emb, hid, batch_first=True)

    def forward(self, src):
        out, h = self.rnn(self.embeddings(src))
        return out, h


class Decoder(nn.Module):
    def __init__(self, vocab, emb, hid):
        super().__init__()
        self.embeddings = nn.Embedding(vocab, emb, padding_idx=0)
        self.rnn = nn.GRU(emb, hid, batch_first=True)
        self.attn = nn.Linear(hid, hid, bias=False)

    def forward(self, tgt, memory, h):
        dec, _ = self.rnn(self.embeddings(tgt), h)
        scores = torch.bmm(self.attn(dec), memory.transpose(1, 2))
        ctx = torch.bmm(scores.softmax(-1), memory)
        return dec + ctx


class NMTModel(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.encoder = Encoder(opt["vocab"], opt["emb"], opt["rnn_size"])
        self.decoder = Decoder(opt["vocab"], opt["emb"], opt["rnn_size"])
        self.generator = nn.Linear(opt["rnn_size"], opt["vocab"])

    def forward(self, src, tgt):
        memory, h = self.encoder(src)
        return self.generator(self.decoder(tgt, memory, h))


class Optimizer:
    """Thin wrapper in the style of onmt.utils.Optimizer."""

    def __init__(self, params, opt):
        self.params = [p for p in params if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.params, lr=opt["learning_rate"])
        self.max_grad_norm = opt["max_grad_norm"]

    def zero_grad(self):
        self.optimizer.zero_grad()

    def step(self):
        torch.nn.utils.clip_grad_norm_(self.params, self.max_grad_norm)
        self.optimizer.step()


def batches(opt):
    g = torch.Generator().manual_seed(1)
    for _ in range(opt["train_steps"]):
        src = torch.randint(1, opt["vocab"], (opt["batch_size"], opt["src_len"]), generator=g)
        tgt = src[:, :opt["tgt_len"]].flip(1)  # toy "translation": reverse the prefix
        yield src.to(device), tgt.to(device)


def train(model, optim, opt):
    crit = nn.CrossEntropyLoss(ignore_index=0)
    for step, (src, tgt) in enumerate(batches(opt)):
        dec_in, gold = tgt[:, :-1], tgt[:, 1:]
        optim.zero_grad()
        logits = model(src, dec_in)
        loss = crit(logits.reshape(-1, logits.size(-1)), gold.reshape(-1))
        loss.backward()
        optim.step()
        if step % 10 == 0:
            print(f"step {step} loss {loss.item():.4f}")


model = NMTModel(OPT).to(device)
optim = Optimizer(model.parameters(), OPT)
train(model, optim, OPT)
