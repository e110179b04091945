import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import Adam


class Classifier(nn.Module):
    def __init__(self, in_features, num_classes):
        super().__init__()
        self.fc1 = nn.Linear(in_features, 16)
        self.fc2 = nn.Linear(16, num_classes)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def main():
    torch.manual_seed(0)
    # stand-ins for rows parsed from a CSV of 1-5 star ratings
    rows = torch.randint(1, 6, (96, 5)).tolist()
    label_list = torch.randint(0, 4, (96,)).tolist()

    features = torch.tensor(rows, dtype=torch.float32)
    labels = torch.tensor(label_list, dtype=torch.int64)

    model = Classifier(5, 4)
    optimizer = Adam(model.parameters(), lr=1e-2)

    for step in range(10):
        optimizer.zero_grad()
        logits = model(features)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        if step % 3 == 0:
            print(f"step {step}: loss={loss.item():.4f}")


if __name__ == "__main__":
    main()
