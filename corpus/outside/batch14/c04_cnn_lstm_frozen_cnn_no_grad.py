# Report: https://github.com/pranoyr/cnn-lstm/issues/6
# Looks like a fault: the CNN backbone runs inside `with torch.no_grad()` in forward, so
# its weights never get gradients. It is deliberate: the (pretrained) backbone is a fixed
# per-frame feature extractor and only the LSTM and classifier are trained; the author
# confirms that removing no_grad would train both.
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_num_threads(1)  # small CPU job: avoid thread oversubscription
np.random.seed(0)
device = "cuda" if torch.cuda.is_available() else "cpu"


class SmallResNet(nn.Module):
    """Stand-in for the pretrained resnet101 trunk (fc removed)."""

    def __init__(self, width=16):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, 2, 1)
        self.block = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.ReLU(), nn.Conv2d(width, width, 3, 1, 1))
        self.out_dim = width

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = F.relu(x + self.block(x))
        return x.mean((2, 3))


class CNNLSTM(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.resnet = SmallResNet()
        self.lstm = nn.LSTM(input_size=self.resnet.out_dim, hidden_size=32, num_layers=2)
        self.fc1 = nn.Linear(32, 16)
        self.fc2 = nn.Linear(16, num_classes)

    def forward(self, x_3d):
        hidden = None
        for t in range(x_3d.size(1)):
            with torch.no_grad():
                x = self.resnet(x_3d[:, t, :, :, :])
            out, hidden = self.lstm(x.unsqueeze(0), hidden)
        x = F.relu(self.fc1(out[-1, :, :]))
        return self.fc2(x)


model = CNNLSTM().to(device)
optimizer = torch.optim.Adam(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-3)
clips = torch.randn(24, 4, 3, 16, 16)
labels = torch.randint(0, 3, (24,))
for epoch in range(4):
    for i in range(0, 24, 8):
        out = model(clips[i:i + 8].to(device))
        loss = F.cross_entropy(out, labels[i:i + 8].to(device))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")
