# Report: https://github.com/ronghuaiyang/arcface-pytorch/issues/56
# Summary: the weighted loss is rebuilt from .item() floats into a new tensor and 'fixed' with loss.requires_grad = True, so no parameter gets a gradient (silent).
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(9)
NUM_CLASSES = 6
class_weights = torch.tensor([1.0, 1.0, 2.0, 2.0, 4.0, 4.0])

model = nn.Sequential(
    nn.Linear(30, 128), nn.BatchNorm1d(128), nn.ReLU(),
    nn.Linear(128, 64), nn.ReLU(),
    nn.Linear(64, NUM_CLASSES),
)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.0)


def weighted_loss(output, label):
    per_sample = []
    for i in range(len(label)):
        l = criterion(output[i:i + 1], label[i:i + 1])
        per_sample.append(l.item() * class_weights[label[i]].item())
    return torch.tensor(per_sample).mean()


def train(loader, epochs=4):
    for epoch in range(epochs):
        model.train()
        correct, total_loss = 0, 0.0
        for data, label in loader:
            output = model(data)
            loss = weighted_loss(output, label)
            loss.requires_grad = True
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
            correct += (output.argmax(1) == label).sum().item()
        print(f"epoch {epoch}: loss {total_loss / len(loader):.4f} acc {correct / len(loader.dataset):.3f}")


if __name__ == "__main__":
    features = torch.randn(900, 30)
    labels = features[:, :NUM_CLASSES].argmax(dim=1)
    train(DataLoader(TensorDataset(features, labels), batch_size=64, shuffle=True))
