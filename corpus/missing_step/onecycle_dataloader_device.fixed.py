import torch
import torch.nn as nn
from torch.optim import AdamW
from torch.optim.lr_scheduler import OneCycleLR
from torch.utils.data import DataLoader, TensorDataset

device = "cpu"


class Tagger(nn.Module):
    def __init__(self, vocab=40, dim=12, n_tags=5):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.mix = nn.Linear(dim, dim)
        self.cls = nn.Linear(dim, n_tags)

    def forward(self, tokens):
        h = torch.relu(self.mix(self.embed(tokens)))
        return self.cls(h)


def main():
    torch.manual_seed(0)
    tokens = torch.randint(0, 40, (60, 6))
    tags = tokens % 5
    loader = DataLoader(TensorDataset(tokens, tags), batch_size=20, shuffle=True)
    epochs = 3

    model = Tagger().to(device)
    optimizer = AdamW(model.parameters(), lr=1e-3)
    scheduler = OneCycleLR(optimizer, max_lr=1e-2, total_steps=epochs * len(loader))
    criterion = nn.CrossEntropyLoss()

    for epoch in range(epochs):
        for tok, tag in loader:
            tok, tag = tok.to(device), tag.to(device)
            optimizer.zero_grad()
            logits = model(tok)
            loss = criterion(logits.reshape(-1, 5), tag.reshape(-1))
            loss.backward()
            optimizer.step()
            scheduler.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
