"""Fine-tuning a small pretrained convolutional classifier on a few labelled images, on purpose in
evaluation mode: the batch-norm running statistics from pretraining are kept fixed (the new
batches are too small to estimate them). A validation pass switches to eval() as well and nothing
switches back, which is intended: no parameter depends on training mode, the batch-norm scales and
shifts still get their gradients. Correct."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def make_backbone():
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


backbone = make_backbone()
with torch.no_grad():  # stands in for pretraining: running statistics of a larger data set
    backbone(torch.randn(256, 3, 16, 16) * 1.5 + 0.2)
model = nn.Sequential(backbone, nn.Dropout(0.2), nn.Linear(32, 4))


def validation_accuracy(model, images, labels):
    model.eval()
    with torch.no_grad():
        return (model(images).argmax(dim=1) == labels).float().mean().item()


def fine_tune(model, batches, epochs, val):
    model.eval()  # keep the pretrained batch-norm statistics fixed while fine-tuning
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    for epoch in range(epochs):
        for images, labels in batches:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} val accuracy {validation_accuracy(model, *val):.3f}")


batches = [(torch.randn(4, 3, 16, 16), torch.randint(0, 4, (4,))) for _ in range(8)]
val = (torch.randn(32, 3, 16, 16), torch.randint(0, 4, (32,)))
print(f"before fine-tuning: val accuracy {validation_accuracy(model, *val):.3f}")
fine_tune(model, batches, epochs=4, val=val)
