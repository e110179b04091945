import torch
import torch.nn as nn
import torch.optim as optim

from model import TicketClassifier


def main():
    torch.manual_seed(0)
    # each record: [category_id, n_comments, n_attachments, n_reopens]
    records = torch.randint(0, 20, (150, 4)).tolist()
    data = torch.tensor(records, dtype=torch.int64)
    category_ids = data[:, 0]
    counts = data[:, 1:]
    labels = torch.randint(0, 3, (150,))

    model = TicketClassifier(num_categories=20, emb_dim=8, num_numeric=3, num_classes=3)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    criterion = nn.CrossEntropyLoss()

    for epoch in range(5):
        optimizer.zero_grad()
        logits = model(category_ids, counts)
        loss = criterion(logits, labels)
        loss.backward()
        optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
