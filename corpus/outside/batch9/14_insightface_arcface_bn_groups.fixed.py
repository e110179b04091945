"""InsightFace_Pytorch (IR-SE backbone + ArcFace head) training, notebook-style.

Model code, helpers and the Learner set-up are pasted into one file (as one
does in a Jupyter notebook) and shrunk to tiny sizes: 3x16x16 "faces", 20 ids.
"""
from collections import namedtuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

device = "cuda" if torch.cuda.is_available() else "cpu"
conf = dict(embedding_size=32, lr=1e-2, momentum=0.9, milestones=[2, 3], epochs=4, batch_size=8, classnum=20)


# ----------------------------------------------------------------- model.py
class Flatten(nn.Module):
    def forward(self, input):
        return input.view(input.size(0), -1)


def l2_norm(input, axis=1):
    norm = torch.norm(input, 2, axis, True)
    return torch.div(input, norm)


class SEModule(nn.Module):
    def __init__(self, channels, reduction):
        super(SEModule, self).__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, kernel_size=1, padding=0, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(channels // reduction, channels, kernel_size=1, padding=0, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        module_input = x
        x = self.sigmoid(self.fc2(self.relu(self.fc1(self.avg_pool(x)))))
        return module_input * x


class bottleneck_IR_SE(nn.Module):
    def __init__(self, in_channel, depth, stride):
        super(bottleneck_IR_SE, self).__init__()
        if in_channel == depth:
            self.shortcut_layer = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(nn.Conv2d(in_channel, depth, (1, 1), stride, bias=False),
                                                nn.BatchNorm2d(depth))
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(in_channel), nn.Conv2d(in_channel, depth, (3, 3), (1, 1), 1, bias=False),
            nn.PReLU(depth), nn.Conv2d(depth, depth, (3, 3), stride, 1, bias=False),
            nn.BatchNorm2d(depth), SEModule(depth, 4))

    def forward(self, x):
        return self.res_layer(x) + self.shortcut_layer(x)


class Bottleneck(namedtuple('Block', ['in_channel', 'depth', 'stride'])):
    '''A named tuple describing a ResNet block.'''


def get_block(in_channel, depth, num_units, stride=2):
    return [Bottleneck(in_channel, depth, stride)] + [Bottleneck(depth, depth, 1) for i in range(num_units - 1)]


def get_blocks():
    return [get_block(in_channel=8, depth=8, num_units=1), get_block(in_channel=8, depth=16, num_units=2)]


class Backbone(nn.Module):
    def __init__(self, embedding_size, drop_ratio=0.4):
        super(Backbone, self).__init__()
        self.input_layer = nn.Sequential(nn.Conv2d(3, 8, (3, 3), 1, 1, bias=False), nn.BatchNorm2d(8), nn.PReLU(8))
        self.output_layer = nn.Sequential(nn.BatchNorm2d(16), nn.Dropout(drop_ratio), Flatten(),
                                          nn.Linear(16 * 4 * 4, embedding_size), nn.BatchNorm1d(embedding_size))
        modules = []
        for block in get_blocks():
            for bottleneck in block:
                modules.append(bottleneck_IR_SE(bottleneck.in_channel, bottleneck.depth, bottleneck.stride))
        self.body = nn.Sequential(*modules)

    def forward(self, x):
        x = self.input_layer(x)
        x = self.body(x)
        x = self.output_layer(x)
        return l2_norm(x)


class Arcface(nn.Module):
    # implementation of additive margin softmax loss in https://arxiv.org/abs/1801.05599
    def __init__(self, embedding_size=512, classnum=51332, s=64., m=0.5):
        super(Arcface, self).__init__()
        self.classnum = classnum
        self.kernel = nn.Parameter(torch.Tensor(embedding_size, classnum))
        self.kernel.data.uniform_(-1, 1).renorm_(2, 1, 1e-5).mul_(1e5)
        self.m, self.s = m, s
        self.cos_m, self.sin_m = torch.cos(torch.tensor(m)), torch.sin(torch.tensor(m))

    def forward(self, embbedings, label):
        kernel_norm = l2_norm(self.kernel, axis=0)
        cos_theta = torch.mm(embbedings, kernel_norm).clamp(-1 + 1e-7, 1 - 1e-7)
        sin_theta = torch.sqrt(1 - cos_theta ** 2)
        cos_theta_m = cos_theta * self.cos_m - sin_theta * self.sin_m
        one_hot = F.one_hot(label, self.classnum).bool()
        output = torch.where(one_hot, cos_theta_m, cos_theta)
        return output * self.s


# ----------------------------------------------------------------- utils.py
def separate_bn_paras(modules):
    if not isinstance(modules, list):
        modules = [*modules.modules()]
    paras_only_bn = []
    paras_wo_bn = []
    for layer in modules:
        if 'model' in str(layer.__class__):
            continue
        if 'container' in str(layer.__class__):
            continue
        else:
            if 'batchnorm' in str(layer.__class__):
                paras_only_bn.extend([*layer.parameters()])
            else:
                paras_wo_bn.extend([*layer.parameters(recurse=False)])
    return paras_only_bn, paras_wo_bn


# ----------------------------------------------------------------- Learner
torch.manual_seed(0)
model = Backbone(conf["embedding_size"]).to(device)
head = Arcface(embedding_size=conf["embedding_size"], classnum=conf["classnum"]).to(device)
paras_only_bn, paras_wo_bn = separate_bn_paras(model)
optimizer = optim.SGD([
    {'params': paras_wo_bn + [head.kernel], 'weight_decay': 5e-4},
    {'params': paras_only_bn}
], lr=conf["lr"], momentum=conf["momentum"])
ce_loss = nn.CrossEntropyLoss()


def schedule_lr(optimizer):
    for params in optimizer.param_groups:
        params['lr'] /= 10
    print(optimizer)


g = torch.Generator().manual_seed(0)
imgs_all = torch.randn(32, 3, 16, 16, generator=g)
labels_all = torch.randint(0, conf["classnum"], (32,), generator=g)
for e in range(conf["epochs"]):
    if e in conf["milestones"]:
        schedule_lr(optimizer)
    model.train()
    for i in range(0, len(imgs_all), conf["batch_size"]):
        imgs = imgs_all[i:i + conf["batch_size"]].to(device)
        labels = labels_all[i:i + conf["batch_size"]].to(device)
        optimizer.zero_grad()
        embeddings = model(imgs)
        thetas = head(embeddings, labels)
        loss = ce_loss(thetas, labels)
        loss.backward()
        optimizer.step()
    print(f"epoch {e}: loss {loss.item():.4f}")
