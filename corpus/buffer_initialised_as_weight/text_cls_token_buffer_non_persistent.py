"""A sentence classifier over token ids with a [CLS] vector prepended to every sequence."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class ClsEncoder(nn.Module):
    def __init__(self, vocab=50, dim=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.register_buffer("cls_token", nn.init.trunc_normal_(torch.zeros(1, 1, dim), std=0.02), persistent=False)
        self.layer = nn.TransformerEncoderLayer(dim, 2, 32, batch_first=True)
        self.out = nn.Linear(dim, 2)

    def forward(self, ids):
        x = self.embed(ids)
        x = torch.cat([self.cls_token.expand(x.size(0), -1, -1), x], dim=1)
        return self.out(self.layer(x)[:, 0])


def main():
    model = ClsEncoder()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.01)
    ids = torch.randint(0, 50, (24, 7))
    labels = (ids[:, 0] > 25).long()
    for _ in range(20):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(ids), labels)
        loss.backward()
        optimizer.step()
    print(loss.item())


main()
