# The beat classifier used by train.py: a small convolution picks out local wave shapes, then a
# bidirectional LSTM reads each heartbeat's features (zero-padded to the batch's longest beat and
# packed so the padding is skipped); the final forward and backward states are joined and
# classified by a small MLP.
import torch
import torch.nn.utils.rnn as rnn_utils
from torch import nn


class BeatEncoder(nn.Module):
    def __init__(self, channels, hidden, features=16):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(channels, features, 5, padding=2), nn.ReLU())
        self.lstm = nn.LSTM(features, hidden, batch_first=True, bidirectional=True)

    def forward(self, beats, lengths):
        local = self.conv(beats.transpose(1, 2)).transpose(1, 2)
        packed = rnn_utils.pack_padded_sequence(local, lengths.cpu(), batch_first=True)
        _, (h_n, _) = self.lstm(packed)
        return torch.cat([h_n[-2], h_n[-1]], dim=-1)


class BeatClassifier(nn.Module):
    def __init__(self, channels=2, hidden=24, classes=3):
        super().__init__()
        self.encoder = BeatEncoder(channels, hidden)
        self.head = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, beats, lengths):
        return self.head(self.encoder(beats, lengths))
