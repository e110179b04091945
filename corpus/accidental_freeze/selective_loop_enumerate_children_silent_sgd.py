"""Speech-command classifier: the first six children frozen by index, as in a VGG recipe; this
model has a conv stack and a head, so the index test froze both, and SGD over every parameter
steps without changing anything."""
import torch
import torch.nn as nn

torch.manual_seed(0)


class CommandNet(nn.Module):
    def __init__(self, n_mels=16, n_classes=4):
        super().__init__()
        self.conv_stack = nn.Sequential(
            nn.Conv1d(n_mels, 16, 3, padding=1), nn.ReLU(),
            nn.Conv1d(16, 16, 3, padding=1), nn.ReLU(),
            nn.Conv1d(16, 16, 3, padding=1), nn.ReLU(),
            nn.Conv1d(16, 16, 3, padding=1), nn.ReLU(),
        )
        self.head = nn.Linear(16, n_classes)

    def forward(self, x):
        return self.head(self.conv_stack(x).mean(-1))


net = CommandNet()
# keep the early feature layers fixed
for idx, block in enumerate(net.children()):
    if idx < 4:
        for weight in block.parameters():
            weight.requires_grad = False

optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for step in range(20):
    spectrogram = torch.randn(8, 16, 30)
    target = torch.randint(0, 4, (8,))
    optimizer.zero_grad()
    loss = loss_fn(net(spectrogram), target)
    if loss.requires_grad:
        loss.backward()
    optimizer.step()
