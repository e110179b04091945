# -*- coding:utf-8 -*-
"""Image classification trainer (pytorch_classification style): ImageNet-pretrained backbone,
the first layers frozen, the rest fine-tuned with step learning-rate decay."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)


class cfg:  # cfg.py
    model_name = 'densenet121'
    NUM_CLASSES = 5
    RESUME_EPOCH = 0
    LR = 1e-3
    MOMENTUM = 0.9
    WEIGHT_DECAY = 5e-4
    BATCH_SIZE = 8
    MAX_EPOCH = 2
    GPUS = 1


class _DenseLayer(nn.Sequential):
    def __init__(self, num_input_features, growth_rate, bn_size):
        super().__init__()
        self.add_module('norm1', nn.BatchNorm2d(num_input_features))
        self.add_module('relu1', nn.ReLU(inplace=True))
        self.add_module('conv1', nn.Conv2d(num_input_features, bn_size * growth_rate, 1, bias=False))
        self.add_module('norm2', nn.BatchNorm2d(bn_size * growth_rate))
        self.add_module('relu2', nn.ReLU(inplace=True))
        self.add_module('conv2', nn.Conv2d(bn_size * growth_rate, growth_rate, 3, padding=1, bias=False))

    def forward(self, x):
        return torch.cat([x, super().forward(x)], 1)


def _dense_block(num_layers, num_input_features, growth_rate, bn_size=2):
    return nn.Sequential(*[_DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size)
                           for i in range(num_layers)])


def _transition(num_input_features, num_output_features):
    return nn.Sequential(nn.BatchNorm2d(num_input_features), nn.ReLU(inplace=True),
                         nn.Conv2d(num_input_features, num_output_features, 1, bias=False), nn.AvgPool2d(2, 2))


class DenseNet(nn.Module):
    def __init__(self, growth_rate=8, block_config=(2, 2), num_init_features=16, num_classes=1000):
        super().__init__()
        self.features = nn.Sequential()
        self.features.add_module('conv0', nn.Conv2d(3, num_init_features, 3, padding=1, bias=False))
        self.features.add_module('norm0', nn.BatchNorm2d(num_init_features))
        self.features.add_module('relu0', nn.ReLU(inplace=True))
        self.features.add_module('pool0', nn.MaxPool2d(2, 2))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module('denseblock%d' % (i + 1), _dense_block(num_layers, num_features, growth_rate))
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module('transition%d' % (i + 1), _transition(num_features, num_features // 2))
                num_features = num_features // 2
        self.features.add_module('norm5', nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

    def forward(self, x):
        out = F.relu(self.features(x), inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1)).flatten(1)
        return self.classifier(out)


class ResNetSmall(nn.Module):
    """ResNet-50 layout (conv1, bn1, relu, maxpool, layer1..4, avgpool, fc) at reduced width."""

    def __init__(self, num_classes=1000, w=8):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(3, w, 3, padding=1, bias=False), nn.BatchNorm2d(w)
        self.relu, self.maxpool = nn.ReLU(inplace=True), nn.MaxPool2d(2)
        self.layer1, self.layer2 = nn.Conv2d(w, w, 3, padding=1), nn.Conv2d(w, w, 3, padding=1)
        self.layer3, self.layer4 = nn.Conv2d(w, w, 3, padding=1), nn.Conv2d(w, w, 3, padding=1)
        self.avgpool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(w, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


MODEL_NAMES = {'densenet121': DenseNet, 'resnet50': ResNetSmall}


def adjust_learning_rate_step(optimizer, learning_rate_base, gamma, step_index):
    lr = learning_rate_base * (gamma ** step_index)
    for param_group in optimizer.param_groups:
        param_group['lr'] = lr
    return lr


images = torch.randn(48, 3, 32, 32)
labels = torch.randint(0, cfg.NUM_CLASSES, (48,))
train_datasets = TensorDataset(images, labels)
train_dataloader = DataLoader(train_datasets, batch_size=cfg.BATCH_SIZE, shuffle=True)

#####build the network model
if not cfg.RESUME_EPOCH:
    print('****** Training {} ****** '.format(cfg.model_name))
    print('****** loading the Imagenet pretrained weights ****** ')
    model = MODEL_NAMES[cfg.model_name](num_classes=cfg.NUM_CLASSES)
    # freeze the first layers, fine-tune the rest
    ct = 0
    backbone = model.features if hasattr(model, 'features') else model  # DenseNet: features + classifier only
    for child in backbone.children():
        ct += 1
        if ct < 8:
            for param in child.parameters():
                param.requires_grad = False

print("...... Initialize the network done!!! .......")
if torch.cuda.is_available():
    model.cuda()

optimizer = optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=cfg.LR)
criterion = nn.CrossEntropyLoss()

epoch_size = len(train_datasets) // cfg.BATCH_SIZE
max_iter = cfg.MAX_EPOCH * epoch_size
stepvalues = (epoch_size, 2 * epoch_size)
step_index, epoch = 0, cfg.RESUME_EPOCH
model.train()
for iteration in range(cfg.RESUME_EPOCH * epoch_size, max_iter):
    if iteration % epoch_size == 0:
        batch_iterator = iter(train_dataloader)
        epoch += 1
    if iteration in stepvalues:
        step_index += 1
    lr = adjust_learning_rate_step(optimizer, cfg.LR, 0.1, step_index)
    images, labels = next(batch_iterator)
    if torch.cuda.is_available():
        images, labels = images.cuda(), labels.cuda()
    out = model(images)
    loss = criterion(out, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    train_acc = (out.argmax(1) == labels).float().mean()
    if iteration % 2 == 0:
        print('Epoch:{} || iter: {}/{} || Loss: {:.6f} || ACC: {:.3f} || LR: {:.8f}'.format(
            epoch, iteration, max_iter, loss.item(), train_acc * 100, lr))
