# Audio keyword spotter: a 1-D conv stack, then a head built where the features live.
import torch
import torch.nn as nn


class KeywordSpotter(nn.Module):
    def __init__(self, n_mels=20, n_keywords=6):
        super().__init__()
        self.n_keywords = n_keywords
        self.convs = nn.Sequential(
            nn.Conv1d(n_mels, 32, 5, padding=2), nn.ReLU(),
            nn.Conv1d(32, 48, 5, padding=2), nn.ReLU(),
        )

    def forward(self, mel):
        feats = self.convs(mel).amax(dim=2)
        self.head = nn.Linear(feats.shape[-1], self.n_keywords).to(feats.device)
        return self.head(feats)


device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
mels = torch.randn(120, 20, 40)
keywords = torch.randint(0, 6, (120,))

spotter = KeywordSpotter().to(device)
spotter(mels[:2].to(device))
optimizer = torch.optim.Adam(spotter.parameters(), lr=2e-3)
criterion = nn.CrossEntropyLoss()
for epoch in range(3):
    for i in range(0, 120, 40):
        x, y = mels[i:i + 40].to(device), keywords[i:i + 40].to(device)
        loss = criterion(spotter(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print("epoch", epoch, "loss", round(loss.item(), 4))
