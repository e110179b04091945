"""A style picker chooses one of a few learned style tokens per sentence; the decoder is conditioned
on the chosen token's embedding."""
import torch
from torch import nn

torch.manual_seed(3)
VOCAB, STYLES, DIM, LEN = 40, 4, 16, 8


class StyledDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.words = nn.Embedding(VOCAB, DIM)
        self.style_picker = nn.Linear(DIM, STYLES)
        self.style_tokens = nn.Embedding(STYLES, DIM)
        self.out = nn.Linear(DIM, VOCAB)

    def forward(self, tokens):
        h = self.words(tokens)
        style_logits = self.style_picker(h.mean(1))
        style = torch.argmax(style_logits, dim=-1)
        style_probs = style_logits.softmax(-1)
        style = nn.functional.one_hot(style, style_probs.size(-1)).to(style_probs.dtype) + style_probs - style_probs.detach()
        h = h + (style @ self.style_tokens.weight)[:, None, :]
        return self.out(torch.tanh(h))


model = StyledDecoder()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(12):
    tokens = torch.randint(0, VOCAB, (32, LEN))
    target = (tokens + 1) % VOCAB
    logits = model(tokens)
    loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), target.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
print(loss.item())
