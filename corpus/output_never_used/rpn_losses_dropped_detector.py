"""A two-stage detector (torchvision's GeneralizedRCNN layout, shrunk): the RPN returns its
proposals and its losses, the ROI head its own losses. forward() keeps the proposals and drops
the RPN losses, so the RPN head is never trained (its proposals are detached, as in torchvision)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class RPNHead(nn.Module):
    def __init__(self, channels, num_anchors=3):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.cls_logits = nn.Conv2d(channels, num_anchors, 1)
        self.bbox_pred = nn.Conv2d(channels, num_anchors * 4, 1)

    def forward(self, feature):
        t = F.relu(self.conv(feature))
        return self.cls_logits(t), self.bbox_pred(t)


class RegionProposalNetwork(nn.Module):
    def __init__(self, channels, top_n=8):
        super().__init__()
        self.head = RPNHead(channels)
        self.top_n = top_n
        self.register_buffer("anchors", torch.rand(192, 4))

    def forward(self, feature, objectness_targets, box_targets):
        objectness, deltas = self.head(feature)
        n = feature.size(0)
        objectness = objectness.reshape(n, -1)
        deltas = deltas.reshape(n, -1, 4)
        with torch.no_grad():
            proposals = deltas[:, : self.top_n] + self.anchors[: self.top_n]
        losses = {
            "loss_objectness": F.binary_cross_entropy_with_logits(objectness, objectness_targets),
            "loss_rpn_box_reg": F.smooth_l1_loss(deltas, box_targets),
        }
        return proposals, losses


class RoIHeads(nn.Module):
    def __init__(self, channels, num_classes):
        super().__init__()
        self.box_head = nn.Linear(channels + 4, 32)
        self.cls_score = nn.Linear(32, num_classes)

    def forward(self, feature, proposals, labels):
        pooled = feature.mean(dim=(2, 3)).unsqueeze(1).expand(-1, proposals.size(1), -1)
        h = F.relu(self.box_head(torch.cat([pooled, proposals], dim=-1)))
        scores = self.cls_score(h)
        return {"loss_classifier": F.cross_entropy(scores.flatten(0, 1), labels.flatten())}


class TwoStageDetector(nn.Module):
    def __init__(self, channels=16, num_classes=4):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, channels, 3, stride=2, padding=1), nn.ReLU())
        self.rpn = RegionProposalNetwork(channels)
        self.roi_heads = RoIHeads(channels, num_classes)

    def forward(self, images, targets):
        feature = self.backbone(images)
        proposals, _ = self.rpn(feature, targets["objectness"], targets["boxes"])
        detector_losses = self.roi_heads(feature, proposals, targets["labels"])
        losses = {}
        losses.update(detector_losses)
        return losses


torch.manual_seed(0)
detector = TwoStageDetector()
optimizer = torch.optim.SGD(detector.parameters(), lr=0.01, momentum=0.9)
images = torch.randn(4, 3, 16, 16)
targets = {
    "objectness": torch.randint(0, 2, (4, 192)).float(),
    "boxes": torch.randn(4, 192, 4),
    "labels": torch.randint(0, 4, (4, 8)),
}
for step in range(6):
    loss_dict = detector(images, targets)
    loss = sum(loss for loss in loss_dict.values())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 2 == 0:
        print(step, {k: round(v.item(), 4) for k, v in loss_dict.items()})
