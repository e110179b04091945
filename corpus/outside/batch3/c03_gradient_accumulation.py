# Text CNN trained with gradient accumulation (effective batch = 8 x ACCUM_STEPS).
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

ACCUM_STEPS = 4


class TextCNN(nn.Module):
    def __init__(self, vocab=300, emb=32, n_classes=4):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.conv = nn.Conv1d(emb, 64, kernel_size=3, padding=1)
        self.fc = nn.Linear(64, n_classes)

    def forward(self, tokens):
        h = self.embedding(tokens).transpose(1, 2)
        h = torch.relu(self.conv(h)).max(dim=2).values
        return self.fc(h)


def main():
    torch.manual_seed(23)
    tokens = torch.randint(0, 300, (640, 25))
    labels = tokens[:, 0] % 4
    loader = DataLoader(TensorDataset(tokens, labels), batch_size=8, shuffle=True)

    model = TextCNN()
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(3):
        model.train()
        optimizer.zero_grad()
        running = 0.0
        for i, (xb, yb) in enumerate(loader):
            loss = criterion(model(xb), yb) / ACCUM_STEPS
            loss.backward()
            running += loss.item()
            if (i + 1) % ACCUM_STEPS == 0 or (i + 1) == len(loader):
                optimizer.step()
                optimizer.zero_grad()
        print(f"epoch {epoch}: loss {running * ACCUM_STEPS / len(loader):.4f}")


if __name__ == "__main__":
    main()
