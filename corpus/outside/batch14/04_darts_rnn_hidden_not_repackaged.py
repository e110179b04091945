# Report: https://github.com/quark0/darts/issues/56
# DARTS RNN search ported to a newer PyTorch: the hidden state is carried from batch to
# batch without being repackaged (detached), so the second backward walks into the graph
# of the previous batch, already freed -> "Trying to backward through the graph a second time".
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"

ARGS = {"ntokens": 100, "emsize": 32, "nhid": 32, "bptt": 12, "batch_size": 8, "lr": 1.0,
        "arch_lr": 3e-3, "steps": 3}
PRIMITIVES = ["tanh", "relu", "sigmoid", "identity"]


class DARTSCell(nn.Module):
    def __init__(self, ninp, nhid, steps=3):
        super().__init__()
        self.nhid, self.steps = nhid, steps
        self._W0 = nn.Parameter(torch.empty(ninp + nhid, 2 * nhid).uniform_(-0.04, 0.04))
        self._Ws = nn.ParameterList([nn.Parameter(torch.empty(nhid, 2 * nhid).uniform_(-0.04, 0.04))
                                     for _ in range(steps)])

    def cell(self, x, h_prev, weights):
        c0, h0 = torch.split(torch.cat([x, h_prev], -1) @ self._W0, self.nhid, dim=-1)
        s = h_prev + c0.sigmoid() * (h0.tanh() - h_prev)
        states = [s]
        for i in range(self.steps):
            c, h = torch.split(states[-1] @ self._Ws[i], self.nhid, dim=-1)
            c = c.sigmoid()
            acts = torch.stack([h.tanh(), h.relu(), h.sigmoid(), h])
            h = (weights[i].view(-1, 1, 1) * acts).sum(0)
            states.append(states[-1] + c * (h - states[-1]))
        return torch.stack(states[1:]).mean(0)

    def forward(self, inputs, hidden, weights):
        outs = []
        h = hidden
        for t in range(inputs.size(0)):
            h = self.cell(inputs[t], h, weights)
            outs.append(h)
        return torch.stack(outs), h


class RNNModelSearch(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.encoder = nn.Embedding(a["ntokens"], a["emsize"])
        self.rnn = DARTSCell(a["emsize"], a["nhid"], a["steps"])
        self.decoder = nn.Linear(a["nhid"], a["ntokens"])
        self.alphas = nn.Parameter(1e-3 * torch.randn(a["steps"], len(PRIMITIVES)))

    def forward(self, inp, hidden):
        out, hidden = self.rnn(self.encoder(inp), hidden, F.softmax(self.alphas, -1))
        return F.log_softmax(self.decoder(out), -1), hidden

    def init_hidden(self, bsz):
        return torch.zeros(bsz, ARGS["nhid"], device=device)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def batchify(n_tokens, bsz):
    data = torch.randint(0, ARGS["ntokens"], (n_tokens,))
    nbatch = data.size(0) // bsz
    return data[:nbatch * bsz].view(bsz, -1).t().contiguous().to(device)


def train(model, train_data):
    weight_params = [p for n, p in model.named_parameters() if n != "alphas"]
    optimizer = torch.optim.SGD(weight_params, lr=ARGS["lr"])
    arch_optimizer = torch.optim.Adam([model.alphas], lr=ARGS["arch_lr"])
    hidden = model.init_hidden(ARGS["batch_size"])
    for i in range(0, train_data.size(0) - 1 - ARGS["bptt"], ARGS["bptt"]):
        data = train_data[i:i + ARGS["bptt"]]
        targets = train_data[i + 1:i + 1 + ARGS["bptt"]].reshape(-1)
        optimizer.zero_grad()
        arch_optimizer.zero_grad()
        log_prob, hidden = model(data, hidden)
        loss = F.nll_loss(log_prob.view(-1, ARGS["ntokens"]), targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(weight_params, 0.25)
        optimizer.step()
        arch_optimizer.step()
        print(f"batch {i // ARGS['bptt']} loss {loss.item():.3f}")


train_data = batchify(8 * 60, ARGS["batch_size"])
model = RNNModelSearch(ARGS).to(device)
train(model, train_data)
