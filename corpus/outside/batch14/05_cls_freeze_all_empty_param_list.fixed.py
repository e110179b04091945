# Report: https://github.com/lxztju/pytorch_classification/issues/13
# train.py freezes every parameter of the loaded network (param.requires_grad = False)
# and then builds the optimizer from filter(lambda p: p.requires_grad, ...): for a model
# whose head is not replaced the list is empty -> "ValueError: optimizer got an empty parameter list".
import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class cfg:
    model_name = "mobilenetv2"
    NUM_CLASSES = 5
    LR = 1e-3
    MAX_EPOCH = 2
    BATCH_SIZE = 16
    INPUT_SIZE = 32


class InvertedResidual(nn.Module):
    def __init__(self, c_in, c_out, expand=4, stride=1):
        super().__init__()
        mid = c_in * expand
        self.use_res = stride == 1 and c_in == c_out
        self.conv = nn.Sequential(
            nn.Conv2d(c_in, mid, 1, bias=False), nn.ReLU6(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.ReLU6(),
            nn.Conv2d(mid, c_out, 1, bias=False))

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU6(),
                                      InvertedResidual(16, 24, stride=2),
                                      InvertedResidual(24, 24),
                                      InvertedResidual(24, 32, stride=2))
        self.classifier = nn.Linear(32, num_classes)

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


MODELS = {"mobilenetv2": MobileNetV2}


def load_checkpoint(model_name):
    model = MODELS[model_name](num_classes=cfg.NUM_CLASSES)
    # (weights would be loaded from a .pth here)
    return model


def make_loader():
    x = torch.randn(64, 3, cfg.INPUT_SIZE, cfg.INPUT_SIZE)
    y = torch.randint(0, cfg.NUM_CLASSES, (64,))
    return [(x[i:i + cfg.BATCH_SIZE], y[i:i + cfg.BATCH_SIZE]) for i in range(0, 64, cfg.BATCH_SIZE)]


model = load_checkpoint(cfg.model_name)
for param in model.parameters():
    param.requires_grad = True
if cfg.model_name.startswith("resnet"):
    model.fc = nn.Linear(model.fc.in_features, cfg.NUM_CLASSES)
model = model.to(device)

optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=cfg.LR)
criterion = nn.CrossEntropyLoss()
train_loader = make_loader()
for epoch in range(cfg.MAX_EPOCH):
    model.train()
    for images, labels in train_loader:
        images, labels = images.to(device), labels.to(device)
        loss = criterion(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
