# Keyword spotter on MFCC-like frames: the classifier is sized from the pooled features on the
# first forward, after the optimizer was built. The training loop hands the new layer to the
# optimizer right after that first call, once.
import torch
import torch.nn as nn
import torch.nn.functional as F


class KeywordNet(nn.Module):
    def __init__(self, n_words=6):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv1d(13, 24, 5, padding=2), nn.ReLU(), nn.MaxPool1d(4))
        self.n_words = n_words
        self.classifier = None

    def forward(self, frames):
        h = self.conv(frames).flatten(1)
        if self.classifier is None:
            self.classifier = nn.Linear(h.shape[1], self.n_words)
        return self.classifier(h)


torch.manual_seed(12)
frames = torch.randn(144, 13, 40)
words = torch.randint(0, 6, (144,))
model = KeywordNet()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
for epoch in range(3):
    for i in range(0, 144, 24):
        x = frames[i:i + 24] + 0.05 * torch.randn(24, 13, 40)
        logits = model(x)
        if epoch == 0 and i == 0:
            optimizer.add_param_group({"params": model.classifier.parameters()})
        loss = F.cross_entropy(logits, words[i:i + 24])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(epoch, round(loss.item(), 4))
