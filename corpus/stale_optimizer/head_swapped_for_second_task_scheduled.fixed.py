"""Continual learning: pretrain on task A (4 classes), then a helper swaps the classifier for
task B (2 classes) and training goes on, with one optimizer and one step schedule for both."""
import torch
from torch import nn
from torch.optim.lr_scheduler import StepLR


class ConvNet(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten()
        )
        self.classifier = nn.Linear(8 * 4 * 4, n_classes)

    def forward(self, x):
        return self.classifier(self.features(x))


def adapt_to_task(net, n_classes):
    net.classifier = nn.Linear(net.classifier.in_features, n_classes)


def train(net, optimizer, scheduler, images, labels, epochs):
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(net(images), labels)
        loss.backward()
        optimizer.step()
        scheduler.step()
    return loss.item()


def main():
    torch.manual_seed(8)
    images_a, labels_a = torch.randn(64, 1, 12, 12), torch.randint(0, 4, (64,))
    images_b, labels_b = torch.randn(64, 1, 12, 12), torch.randint(0, 2, (64,))

    model = ConvNet(n_classes=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = StepLR(optimizer, step_size=5, gamma=0.5)
    print("task A:", train(model, optimizer, scheduler, images_a, labels_a, epochs=6))

    adapt_to_task(model, n_classes=2)
    optimizer.add_param_group({"params": model.classifier.parameters()})
    print("task B:", train(model, optimizer, scheduler, images_b, labels_b, epochs=6))


if __name__ == "__main__":
    main()
