# A fit() helper for linear evaluation of a loaded encoder: the new head is attached first and the
# freeze runs afterwards, so the head is frozen with the encoder and the loss has no graph.
import torch
import torch.nn as nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(2, 8, 5, padding=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.head = nn.Identity()

    def forward(self, x):
        return self.head(self.body(x))


def fit(net, signals, labels, epochs=20):
    net.head = nn.Linear(8, 2)
    for p in net.parameters():
        p.requires_grad_(False)
    net.head.requires_grad_(True)
    opt = torch.optim.RMSprop(net.head.parameters(), lr=1e-2)
    for _ in range(epochs):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(signals), labels)
        loss.backward()
        opt.step()
    return loss.item()


encoder = Encoder()
encoder.load_state_dict(Encoder().state_dict())
signals = torch.randn(64, 2, 32)
labels = (signals[:, 0].mean(1) > 0).long()
print(fit(encoder, signals, labels))
