import torch.nn as nn


class SpeechTagger(nn.Module):
    def __init__(self, n_mels=20, hidden=32, n_tags=5):
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv1d(n_mels, hidden, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv1d(hidden, hidden, kernel_size=3, padding=1),
            nn.ReLU(),
        )
        self.tagger = nn.Conv1d(hidden, n_tags, kernel_size=1)

    def set_backbone_trainable(self, trainable):
        for p in self.backbone.parameters():
            p.require_grad = trainable

    def forward(self, x):
        return self.tagger(self.backbone(x))
