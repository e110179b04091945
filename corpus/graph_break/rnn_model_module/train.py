import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

from model import SeqClassifier


def main():
    torch.manual_seed(0)
    tokens = torch.randint(0, 40, (60, 10))
    labels = tokens[:, 0] % 3
    loader = DataLoader(TensorDataset(tokens, labels), batch_size=20, shuffle=True)

    model = SeqClassifier()
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(2):
        running = 0.0
        for batch_tokens, batch_labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(batch_tokens), batch_labels)
            loss.backward()
            optimizer.step()
            running += loss.item()
        print(f"epoch {epoch}: mean loss {running / len(loader):.4f}")


if __name__ == "__main__":
    main()
