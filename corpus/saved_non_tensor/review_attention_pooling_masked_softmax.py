# Sentiment classification of synthetic product reviews: padded token sequences are embedded, an
# attention layer scores every token, a hand-written masked softmax (padding gets no weight)
# turns the scores into pooling weights over the sequence dimension, and a linear head classifies
# the pooled vector. Trained with Adam on mini-batches.
import torch
from torch import nn

torch.manual_seed(0)
VOCAB, DIM, MAX_LEN, PAD = 500, 24, 20, 0


class MaskedSoftmax(torch.autograd.Function):
    @staticmethod
    def forward(ctx, scores, mask, dim):
        probs = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=dim)
        ctx.save_for_backward(probs,
                              dim,
                              mask)
        return probs

    @staticmethod
    def backward(ctx, grad_probs):
        probs, dim, mask = ctx.saved_tensors
        inner = (grad_probs * probs).sum(dim=dim, keepdim=True)
        grad_scores = probs * (grad_probs - inner)
        return grad_scores.masked_fill(~mask, 0.0), None, None


class AttentionPoolClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM, padding_idx=PAD)
        self.score = nn.Sequential(nn.Linear(DIM, DIM), nn.Tanh(), nn.Linear(DIM, 1))
        self.head = nn.Linear(DIM, 2)

    def forward(self, tokens):
        h = self.embed(tokens)
        weights = MaskedSoftmax.apply(self.score(h).squeeze(-1), tokens != PAD, 1)
        return self.head((weights.unsqueeze(-1) * h).sum(1))


# Reviews: random filler words plus, for each class, a few words from its own sentiment list.
N = 800
labels = torch.randint(0, 2, (N,))
lengths = torch.randint(5, MAX_LEN + 1, (N,))
tokens = torch.randint(20, VOCAB, (N, MAX_LEN))
cue = 1 + labels[:, None] * 10 + torch.randint(0, 10, (N, 3))
tokens.scatter_(1, (torch.rand(N, 3) * lengths[:, None]).long(), cue)
tokens[torch.arange(MAX_LEN)[None] >= lengths[:, None]] = PAD

model = AttentionPoolClassifier()
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(8):
    order = torch.randperm(N)
    for i in range(0, N, 100):
        batch = order[i:i + 100]
        loss = nn.functional.cross_entropy(model(tokens[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
accuracy = (model(tokens).argmax(1) == labels).float().mean().item()
print(f"loss {loss.item():.4f}, accuracy {accuracy:.3f}")
