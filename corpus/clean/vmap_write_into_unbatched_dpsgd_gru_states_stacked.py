# Private training of a small review-sentiment classifier: a hand-written GRU runs over token
# embeddings, its hidden states are collected in a list and stacked, mean-pooled into a readout,
# and DP-SGD takes per-sample gradients with vmap(grad(...)) over functional_call, clips them,
# adds noise and writes the result into p.grad for SGD.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

VOCAB, EMBED, HIDDEN, LENGTH = 50, 16, 24, 12


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, EMBED)
        self.gates = nn.Linear(EMBED + HIDDEN, 2 * HIDDEN)
        self.cand = nn.Linear(EMBED + HIDDEN, HIDDEN)
        self.head = nn.Linear(HIDDEN, 2)
        self.hidden = HIDDEN

    def forward(self, tokens):
        x = self.emb(tokens)
        h = torch.zeros(*x.shape[:-2], self.hidden)
        states = []
        for t in range(x.shape[-2]):
            xh = torch.cat([x[..., t, :], h], dim=-1)
            z, r = torch.sigmoid(self.gates(xh)).chunk(2, dim=-1)
            n = torch.tanh(self.cand(torch.cat([x[..., t, :], r * h], dim=-1)))
            h = (1 - z) * n + z * h
            states.append(h)
        return self.head(torch.stack(states, dim=-2).mean(dim=-2))


torch.manual_seed(0)
tokens_all = torch.randint(0, VOCAB, (192, LENGTH))
labels_all = ((tokens_all < 10).sum(1) > (tokens_all >= 40).sum(1)).long()
model = GRUClassifier()
optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
max_norm, noise_multiplier = 1.0, 0.3


def loss_of_params(params, tokens, label):
    logits = functional_call(model, params, (tokens.unsqueeze(0),))
    return F.cross_entropy(logits, label.unsqueeze(0))


per_sample_grads = vmap(grad(loss_of_params), in_dims=(None, 0, 0))

for epoch in range(3):
    for i in range(0, len(tokens_all), 64):
        tokens, labels = tokens_all[i:i + 64], labels_all[i:i + 64]
        params = {k: v.detach() for k, v in model.named_parameters()}
        grads = per_sample_grads(params, tokens, labels)
        norms = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads.values()))
        factor = (max_norm / (norms + 1e-6)).clamp(max=1.0)
        for name, p in model.named_parameters():
            clipped = (grads[name] * factor.view(-1, *[1] * (grads[name].dim() - 1))).sum(0)
            p.grad = (clipped + torch.randn_like(clipped) * noise_multiplier * max_norm) / len(tokens)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    with torch.no_grad():
        acc = (model(tokens_all).argmax(1) == labels_all).float().mean().item()
    print(f"epoch {epoch}: accuracy {acc:.3f}")
