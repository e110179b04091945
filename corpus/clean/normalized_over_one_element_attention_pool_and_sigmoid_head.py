# Attention pooling over time with scores of shape (batch, time, 1), normalised over the time
# dimension (dim=1), and a binary head with one output trained with BCEWithLogitsLoss; the
# probabilities for the report come from a sigmoid. Nothing is normalised over a size-1 dimension.
import torch
import torch.nn as nn

torch.manual_seed(0)


class Detector(nn.Module):
    def __init__(self, n_features=5, hidden=20):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, batch_first=True)
        self.attn = nn.Sequential(nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1, bias=False))
        self.classifier = nn.Linear(hidden, 1)

    def forward(self, x):
        states, _ = self.lstm(x)
        weights = torch.softmax(self.attn(states), dim=1)
        pooled = (weights * states).sum(dim=1)
        return self.classifier(pooled)


signals = torch.randn(256, 12, 5)
labels = (signals[:, :, 2].abs().max(dim=1).values > 2.0).float().unsqueeze(1)
model = Detector()
criterion = nn.BCEWithLogitsLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(5):
    for i in range(0, 256, 32):
        logits = model(signals[i:i + 32])
        loss = criterion(logits, labels[i:i + 32])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        probs = torch.sigmoid(model(signals))
        accuracy = ((probs > 0.5).float() == labels).float().mean()
