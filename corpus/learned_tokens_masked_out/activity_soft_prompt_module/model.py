"""The activity recogniser: a small sensor-sequence encoder (kept frozen, as if pretrained) with a
learned soft prompt in front of every sequence; padding goes to the encoder as a
key_padding_mask (True = a position to skip) and the outputs are mean-pooled over the rest."""
import torch as th
from torch import nn


class SensorEncoder(nn.Module):
    def __init__(self, channels, dim):
        super().__init__()
        self.project = nn.Linear(channels, dim)
        layer = nn.TransformerEncoderLayer(dim, 4, 2 * dim, dropout=0.0, batch_first=True)
        self.body = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)


class PromptedActivityModel(nn.Module):
    def __init__(self, encoder, dim, prompt_len, classes):
        super().__init__()
        self.encoder = encoder
        self.soft_prompt = nn.Parameter(th.randn(prompt_len, dim) * 0.05)
        self.classifier = nn.Linear(dim, classes)

    def forward(self, signals, padding):
        b = signals.size(0)
        x = self.encoder.project(signals)
        x = th.cat([self.soft_prompt.expand(b, -1, -1), x], dim=1)
        prompt_padding = th.ones(b, len(self.soft_prompt), dtype=th.bool)
        padding = th.cat([prompt_padding, padding], dim=1)
        h = self.encoder.body(x, src_key_padding_mask=padding)
        keep = (~padding).unsqueeze(-1).float()
        return self.classifier((h * keep).sum(1) / keep.sum(1))
