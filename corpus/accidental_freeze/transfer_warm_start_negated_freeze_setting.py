# A detector runner: from_scratch() builds the backbone and freezes it when its settings say
# freeze_backbone; warm_start() copies a finished runner's model for a new dataset and forgets the
# setting, so the backbone stays as frozen as the source run kept it.
import copy
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(10, 16), nn.ReLU())
        self.box_head = nn.Linear(16, 4)

    def forward(self, x):
        return self.box_head(self.backbone(x))


class Runner:
    def __init__(self, settings):
        self.settings = settings
        self.detector = None

    def from_scratch(self):
        detector = Detector()
        for p in detector.backbone.parameters():
            p.requires_grad = not self.settings.freeze_backbone
        self.detector = detector

    def warm_start(self, finished):
        detector = copy.deepcopy(finished.detector)
        detector.box_head.reset_parameters()
        self.detector = detector

    def fit(self, x, boxes):
        opt = torch.optim.Adam(filter(lambda p: p.requires_grad, self.detector.parameters()), lr=1e-2)
        for epoch in range(3):
            loss = F.smooth_l1_loss(self.detector(x), boxes)
            opt.zero_grad()
            loss.backward()
            opt.step()


torch.manual_seed(0)
first = Runner(SimpleNamespace(freeze_backbone=True))
first.from_scratch()
second = Runner(SimpleNamespace(freeze_backbone=False))
second.warm_start(first)
second.fit(torch.randn(12, 10), torch.randn(12, 4))
