"""GRU encoder-decoder with Luong attention (OpenNMT-py style) learning to reverse token
sequences.  Embedding tables use sparse gradients and are optimised with SparseAdam, the
remaining weights with Adam ("sparseadam" optim setting); the decoder input embedding is
shared with the output generator ("share_decoder_embeddings")."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

VOCAB, EMB, HID, SEQ, BOS, PAD = 40, 32, 32, 8, 1, 0


class Opt:
    share_decoder_embeddings = True
    learning_rate = 2e-3
    train_steps = 30


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = nn.Embedding(VOCAB, EMB, padding_idx=PAD, sparse=True)
        self.rnn = nn.GRU(EMB, HID, batch_first=True)

    def forward(self, src):
        return self.rnn(self.embeddings(src))


class Decoder(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.embeddings = nn.Embedding(VOCAB, EMB, padding_idx=PAD, sparse=not opt.share_decoder_embeddings)
        self.rnn = nn.GRU(EMB, HID, batch_first=True)
        self.linear_in = nn.Linear(HID, HID, bias=False)
        self.linear_out = nn.Linear(2 * HID, EMB, bias=False)

    def forward(self, tgt_in, memory, hidden):
        out, hidden = self.rnn(self.embeddings(tgt_in), hidden)
        scores = torch.bmm(self.linear_in(out), memory.transpose(1, 2))
        ctx = torch.bmm(F.softmax(scores, -1), memory)
        return torch.tanh(self.linear_out(torch.cat([out, ctx], -1))), hidden


class NMTModel(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder(opt)
        self.generator = nn.Linear(EMB, VOCAB)
        if opt.share_decoder_embeddings:
            self.generator.weight = self.decoder.embeddings.weight

    def forward(self, src, tgt_in):
        memory, hidden = self.encoder(src)
        dec_out, _ = self.decoder(tgt_in, memory, hidden)
        return self.generator(dec_out)


class MultipleOptimizer:
    def __init__(self, ops):
        self.optimizers = ops

    def zero_grad(self):
        for op in self.optimizers:
            op.zero_grad()

    def step(self):
        for op in self.optimizers:
            op.step()


def build_optim(model, opt):
    sparse = [m.weight for m in model.modules() if isinstance(m, nn.Embedding) and m.sparse]
    sparse_ids = {id(p) for p in sparse}
    dense = [p for p in model.parameters() if id(p) not in sparse_ids]
    return MultipleOptimizer([torch.optim.Adam(dense, lr=opt.learning_rate, betas=(0.9, 0.998), eps=1e-9),
                              torch.optim.SparseAdam(sparse, lr=opt.learning_rate, betas=(0.9, 0.998), eps=1e-9)])


def make_batch(n=32):
    src = torch.randint(3, VOCAB, (n, SEQ))
    tgt = src.flip(1)
    tgt_in = torch.cat([torch.full((n, 1), BOS), tgt[:, :-1]], 1)
    return src.to(device), tgt_in.to(device), tgt.to(device)


opt = Opt()
model = NMTModel(opt).to(device)
optim = build_optim(model, opt)
for step in range(1, opt.train_steps + 1):
    src, tgt_in, tgt = make_batch()
    logits = model(src, tgt_in)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt.reshape(-1), ignore_index=PAD)
    optim.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if not p.grad.is_sparse], 5.0)
    optim.step()
    if step % 10 == 0:
        acc = (logits.argmax(-1) == tgt).float().mean().item()
        print(f"step {step:3d}  xent {loss.item():.4f}  acc {acc:.3f}")
