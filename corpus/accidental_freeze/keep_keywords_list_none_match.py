"""Sequence tagger: a GRU encoder kept fixed, only the output layers trained."""
import torch
import torch.nn as nn

torch.manual_seed(0)

TRAINABLE = ("head", "fc", "classifier")


class Tagger(nn.Module):
    def __init__(self, vocab=50, dim=16, tags=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.rnn = nn.GRU(dim, dim, batch_first=True)
        self.proj = nn.Linear(dim, tags)

    def forward(self, tokens):
        h, _ = self.rnn(self.embed(tokens))
        return self.proj(h)


def main():
    model = Tagger()
    for name, p in model.named_parameters():
        if not any(k in name for k in TRAINABLE):
            p.requires_grad_(False)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-3)
    tokens, tags = torch.randint(0, 50, (8, 12)), torch.randint(0, 5, (8, 12))
    for _ in range(10):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(tokens).reshape(-1, 5), tags.reshape(-1))
        loss.backward()
        optimizer.step()
    print(loss.item())


main()
