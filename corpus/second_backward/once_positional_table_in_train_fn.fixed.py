"""A tiny sequence classifier with learned positions: the position table is computed from a
small MLP over the position indices, once, at the start of training."""
import torch
import torch.nn as nn
import torch.nn.functional as F

SEQ_LEN, DIM = 12, 24


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(30, DIM)
        self.pos_mlp = nn.Sequential(nn.Linear(1, DIM), nn.SiLU(), nn.Linear(DIM, DIM))
        self.encoder = nn.TransformerEncoderLayer(DIM, 4, 48, batch_first=True, dropout=0.0)
        self.out = nn.Linear(DIM, 3)

    def forward(self, tokens, pos):
        h = self.encoder(self.tok(tokens) + pos)
        return self.out(h.mean(1))


def train(model, steps=8):
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    positions = torch.arange(SEQ_LEN, dtype=torch.float32)[:, None] / SEQ_LEN
    for step in range(steps):
        tokens = torch.randint(0, 30, (16, SEQ_LEN))
        labels = tokens[:, 0] % 3
        pos = model.pos_mlp(positions)
        loss = F.cross_entropy(model(tokens, pos), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(step, loss.item())


if __name__ == "__main__":
    torch.manual_seed(0)
    train(Classifier())
