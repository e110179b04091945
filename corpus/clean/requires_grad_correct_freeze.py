import torch
import torch.nn as nn
import torch.optim as optim


class SentimentModel(nn.Module):
    def __init__(self, vocab=80, dim=16):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.encoder = nn.LSTM(dim, 24, batch_first=True)
        self.head = nn.Linear(24, 2)

    def forward(self, tokens):
        out, _ = self.encoder(self.embedding(tokens))
        return self.head(out[:, -1])


def main():
    torch.manual_seed(0)
    # pretrained embedding table, e.g. exported from an earlier language-model run
    pretrained = nn.Embedding(80, 16).state_dict()

    model = SentimentModel()
    model.embedding.load_state_dict(pretrained)
    for p in model.embedding.parameters():
        p.requires_grad = False

    optimizer = optim.Adam([p for p in model.parameters() if p.requires_grad], lr=5e-3)
    criterion = nn.CrossEntropyLoss()
    tokens = torch.randint(0, 80, (48, 12))
    labels = torch.randint(0, 2, (48,))
    for step in range(5):
        optimizer.zero_grad()
        loss = criterion(model(tokens), labels)
        loss.backward()
        optimizer.step()
        print(f"step {step}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
