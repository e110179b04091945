"""Prefix tuning of a frozen GRU tagger: only the prefix vectors are learned."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class FrozenTagger(nn.Module):
    def __init__(self, vocab=120, dim=24, tags=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, tags)

    def forward(self, prefix, tokens):
        x = torch.cat([prefix.expand(tokens.size(0), -1, -1), self.embed(tokens)], dim=1)
        h, _ = self.gru(x)
        return self.out(h[:, prefix.size(1):])


class PrefixTrainer:
    def __init__(self, model, n_prefix=4, bank_size=8):
        self.model = model
        model.requires_grad_(False)
        self.bank = (torch.randn(1, bank_size, model.embed.embedding_dim) * 0.1).requires_grad_()
        self.prefix = self.bank[:, :n_prefix]
        self.optimizer = torch.optim.Adam([self.prefix], lr=1e-2)

    def step(self, tokens, tags):
        logits = self.model(self.prefix, tokens)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tags.reshape(-1))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


if __name__ == "__main__":
    torch.manual_seed(0)
    trainer = PrefixTrainer(FrozenTagger())
    for step in range(60):
        tokens = torch.randint(0, 120, (16, 10))
        tags = tokens % 4
        loss = trainer.step(tokens, tags)
        if step % 20 == 0:
            print(step, round(loss, 4))
