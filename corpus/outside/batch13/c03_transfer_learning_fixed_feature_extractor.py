# Correct look-alike modelled on:
# https://github.com/pytorch/tutorials/blob/main/beginner_source/transfer_learning_tutorial.py
# ("ConvNet as fixed feature extractor"). Looks suspicious: every backbone parameter gets
# requires_grad = False and only model_conv.fc is handed to the optimizer, so the backbone
# never changes. That is the point of this scenario: the pretrained backbone is frozen on
# purpose and only the newly constructed classifier is trained. (BatchNorm running
# statistics still update because the model is in train mode, as in the tutorial.)
import copy
import time

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler

torch.manual_seed(0)
np.random.seed(0)
device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


class BasicBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(ch)

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(out)))


class TinyResNet(nn.Module):
    """Stand-in for torchvision.models.resnet18 (pretrained)."""

    def __init__(self, num_classes=1000, ch=16):
        super().__init__()
        self.conv1 = nn.Conv2d(3, ch, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch)
        self.layer1 = BasicBlock(ch)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(ch, num_classes)

    def forward(self, x):
        x = self.layer1(torch.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def make_dataloaders():
    out = {}
    for phase, n in (("train", 64), ("val", 32)):
        x = torch.randn(n, 3, 12, 12)
        y = (x[:, 0].mean((1, 2)) > 0).long()          # ants vs bees
        out[phase] = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8,
                                                 shuffle=phase == "train")
    return out


def train_model(model, criterion, optimizer, scheduler, dataloaders, num_epochs=3):
    since = time.time()
    best_model_wts, best_acc = copy.deepcopy(model.state_dict()), 0.0
    for epoch in range(num_epochs):
        for phase in ["train", "val"]:
            model.train() if phase == "train" else model.eval()
            running_loss, running_corrects = 0.0, 0
            for inputs, labels in dataloaders[phase]:
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    _, preds = torch.max(outputs, 1)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                running_loss += loss.item() * inputs.size(0)
                running_corrects += torch.sum(preds == labels.data).item()
            if phase == "train":
                scheduler.step()
            n = len(dataloaders[phase].dataset)
            print(f"epoch {epoch} {phase} loss {running_loss / n:.4f} acc {running_corrects / n:.4f}")
            if phase == "val" and running_corrects / n > best_acc:
                best_acc, best_model_wts = running_corrects / n, copy.deepcopy(model.state_dict())
    print(f"Training complete in {time.time() - since:.1f}s, best val acc {best_acc:.4f}")
    return model


dataloaders = make_dataloaders()
model_conv = TinyResNet()                      # weights would come from IMAGENET1K_V1
for param in model_conv.parameters():
    param.requires_grad = False

# Parameters of newly constructed modules have requires_grad=True by default
num_ftrs = model_conv.fc.in_features
model_conv.fc = nn.Linear(num_ftrs, 2)
model_conv = model_conv.to(device)
criterion = nn.CrossEntropyLoss()
# Observe that only parameters of final layer are being optimized as opposed to before.
optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=0.001, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=7, gamma=0.1)
model_conv = train_model(model_conv, criterion, optimizer_conv, exp_lr_scheduler, dataloaders)
