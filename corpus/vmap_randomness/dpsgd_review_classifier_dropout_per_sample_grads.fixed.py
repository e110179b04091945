# Differentially private training of a review-sentiment classifier on synthetic token data:
# mean-pooled token embeddings, dropout and a linear head. Per-example gradients are computed
# with torch.func (grad of a single-example loss, vectorised over the batch), clipped to a norm
# bound, summed, noised and written into .grad before an SGD step, as in DP-SGD.
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

VOCAB, DIM, LENGTH = 200, 16, 10
CLIP, NOISE = 1.0, 0.5


class BagClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(DIM, 2)

    def forward(self, tokens):
        return self.head(self.drop(self.embed(tokens).mean(-2)))


torch.manual_seed(11)
polarity = torch.randn(VOCAB)
tokens = torch.randint(0, VOCAB, (1024, LENGTH))
labels = (polarity[tokens].mean(1) > 0).long()

model = BagClassifier()
optimizer = torch.optim.SGD(model.parameters(), lr=8.0)


def example_loss(params, buffers, x, y):
    logits = functional_call(model, (params, buffers), (x.unsqueeze(0),))
    return F.cross_entropy(logits, y.unsqueeze(0))


per_example_grads = vmap(
    grad(example_loss),
    in_dims=(None, None, 0, 0),
    randomness="different",
)

for epoch in range(3):
    model.train()
    for i in range(0, len(tokens), 128):
        x, y = tokens[i:i + 128], labels[i:i + 128]
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = dict(model.named_buffers())
        grads = per_example_grads(params, buffers, x, y)
        norms = torch.stack([g.flatten(1).norm(dim=1) for g in grads.values()]).norm(dim=0)
        scale = (CLIP / (norms + 1e-6)).clamp(max=1.0)
        for name, p in model.named_parameters():
            g = grads[name] * scale.view(-1, *[1] * (grads[name].dim() - 1))
            p.grad = (g.sum(0) + NOISE * CLIP * torch.randn_like(p)) / len(x)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    model.eval()
    with torch.no_grad():
        acc = (model(tokens).argmax(1) == labels).float().mean().item()
    print(f"epoch {epoch}: accuracy {acc:.3f}")
